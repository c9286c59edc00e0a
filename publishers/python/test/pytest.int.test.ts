import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  startWorker,
  type TestDatabase,
  type TestVhost,
  type WorkerProcess,
} from '../../../test-support/index.js';

// The Python package's tests (pytest, from Debian) on a vhost and a database of their own,
// with the compiled worker storing what they publish. The package is installed the way its
// README says, into a fresh virtual environment that sees Debian's pika.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const python = '/usr/bin/python3';

async function sh(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(command, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}\n${stderr}`, { cause: error });
  }
}

let work: string;
let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerProcess;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'feed-publisher-python-'));
  // pip builds in the folder it installs from: a copy keeps the repository clean.
  const source = join(work, 'feed-publisher');
  cpSync(packageDir, source, {
    recursive: true,
    filter: (path) => !/(__pycache__|\.egg-info|[/\\]build)$/.test(path),
  });
  await sh(python, ['-m', 'venv', '--system-site-packages', join(work, 'venv')]);
  // --no-index: nothing comes from a Python registry; pika is Debian's.
  await sh(join(work, 'venv/bin/pip'), [
    'install',
    '--quiet',
    '--no-index',
    '--no-build-isolation',
    source,
  ]);
  [vhost, db] = await Promise.all([
    createTestVhost('python-publisher'),
    createTestDatabase('python_publisher'),
  ]);
  worker = await startWorker(vhost.url, db.url);
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await vhost?.drop();
  await db?.drop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

it('pytest passes every test of the Python package against the broker and the worker', async () => {
  const { stdout } = await sh(
    join(work, 'venv/bin/python'),
    ['-m', 'pytest', '-p', 'no:cacheprovider', '-rA', join(packageDir, 'test')],
    {
      FEED_TEST_AMQP_URL: vhost.url,
      FEED_TEST_DATABASE_URL: db.url,
      // Nothing written into the repository.
      PYTHONDONTWRITEBYTECODE: '1',
    },
  );

  const summary = stdout.trim().split('\n').at(-1) ?? '';
  expect(summary).toMatch(/^=+ \d+ passed in [\d.]+s =+$/);
}, 240_000);
