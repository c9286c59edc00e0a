import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  startWorker,
  waitFor,
  type TestDatabase,
  type TestVhost,
  type WorkerProcess,
} from '../../../test-support/index.js';

// A service in another repository: the SDK packed as a registry would get it, installed into
// a project of its own outside this repository, typechecked, imported from plain JavaScript,
// publishing to the real broker, and its events stored by the real worker.

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const sdkDir = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');

/** What a user of the package needs, and nothing else. */
const shippedFile =
  /^(README\.md|CHANGELOG\.md|package\.json|bin\/feed-publish\.js|dist\/[\w-]+\.(js|d\.ts))$/;

/** Installs what the consumer adds beside the SDK at the versions this repository has, which
 * the npm cache then holds: the install reads the cache first. */
const installedVersion = (name: string) =>
  (
    JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** npm's environment of `npm test` (workspace, prefix) must not reach the consumer's npm. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD') env[key] = value;
  return { ...env, ...extra };
}

async function sh(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd,
      env: cleanEnv(env),
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, {
      cause: error,
    });
  }
}

interface PackResult {
  filename: string;
  size: number;
  files: Array<{ path: string }>;
}

describe('@feed/publisher as another repository installs it', () => {
  let project: string;
  let pack: PackResult;
  let vhost: TestVhost;
  let db: TestDatabase;
  let worker: WorkerProcess;

  beforeAll(async () => {
    if (!existsSync(join(sdkDir, 'dist/index.js')))
      throw new Error('publishers/sdk/dist is missing: run `npm run build` first');
    project = mkdtempSync(join(tmpdir(), 'feed-publisher-consumer-'));
    // npm test built the package; packing without scripts takes that build as is, and does
    // not rewrite dist/ under the other tests running now.
    [pack] = JSON.parse(
      await sh(
        'npm',
        ['pack', '--json', '--ignore-scripts', '--pack-destination', project],
        sdkDir,
      ),
    ) as PackResult[];
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
    );
    await sh(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `./${pack.filename}`,
        `pg@${installedVersion('pg')}`,
        `@types/pg@${installedVersion('@types/pg')}`,
        `@types/node@${installedVersion('@types/node')}`,
      ],
      project,
    );
    [vhost, db] = await Promise.all([
      createTestVhost('sdk-package'),
      createTestDatabase('sdk_package'),
    ]);
    worker = await startWorker(vhost.url, db.url);
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await vhost?.drop();
    await db?.drop();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it('packs only what a user needs', () => {
    const paths = pack.files.map((file) => file.path).sort();
    expect(paths.filter((path) => !shippedFile.test(path))).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'README.md',
        'CHANGELOG.md',
        'package.json',
        'bin/feed-publish.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/cli.js',
      ]),
    );
  });

  it('installs into a project outside the repository that cannot see its node_modules', async () => {
    expect(relative(repoRoot, project).startsWith('..')).toBe(true);
    for (let dir = dirname(project); dir !== dirname(dir); dir = dirname(dir))
      expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
    // The contract is compiled in: the package brings no @feed dependency of its own.
    expect(readdirSync(join(project, 'node_modules/@feed'))).toEqual(['publisher']);
    await expect(sh('node', ['-e', "import('@feed/contracts')"], project)).rejects.toThrow(
      /Cannot find package '@feed\/contracts'/,
    );
  });

  it('typechecks TypeScript against the package types, as ESM and as CommonJS', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          // The package's own .d.ts is checked too: it must stand alone.
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['*.ts', '*.cts'],
      }),
    );
    writeFileSync(
      join(project, 'service.ts'),
      `import pg from 'pg';
import {
  createFeedPublisher,
  enqueue,
  FeedErrorCode,
  isFeedError,
  migrateOutbox,
  startOutboxRelay,
  type EventData,
  type FeedEvent,
  type FeedPublisher,
} from '@feed/publisher';

const data: EventData<'employee.registered'> = {
  employeeId: 'e-1',
  name: 'Ada Lovelace',
  team: 'Engines',
  position: 'Analyst',
};
// @ts-expect-error the data of a catalogue type is typed: position is missing
export const incomplete: EventData<'employee.registered'> = { employeeId: 'e-1', name: 'Ada', team: 'E' };

export async function publish(url: string): Promise<FeedEvent[]> {
  const publisher: FeedPublisher = createFeedPublisher({ url, source: 'consumer-ts' });
  try {
    return await publisher.publish({ type: 'employee.registered', data, id: 'e-1-registered' });
  } catch (error) {
    if (isFeedError(error) && error.code === FeedErrorCode.PublishTimeout && !error.permanent) return [];
    throw error;
  } finally {
    await publisher.close();
  }
}

export async function outbox(pool: pg.Pool, publisher: FeedPublisher): Promise<number> {
  await migrateOutbox(pool);
  await enqueue(pool, { type: 'lunch.served', data: { menu: 'soup' } }, { source: 'canteen' });
  const relay = startOutboxRelay({ pool, publisher, batchSize: 50 });
  const sent = await relay.drain();
  await relay.stop();
  return sent;
}

// @ts-expect-error queueType is 'quorum' or 'classic'
createFeedPublisher({ url: 'amqp://localhost', source: 's', queueType: 'stream' });
`,
    );
    writeFileSync(
      join(project, 'legacy.cts'),
      `import feed = require('@feed/publisher');

export const publisher: feed.FeedPublisher = feed.createFeedPublisher({
  url: 'amqp://localhost',
  source: 'consumer-cts',
});
`,
    );
    await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
  });

  it('publishes from plain JavaScript (ESM, CommonJS, the CLI), and the worker stores the events', async () => {
    writeFileSync(
      join(project, 'publish.mjs'),
      `import { createFeedPublisher } from '@feed/publisher';
const publisher = createFeedPublisher({ url: process.env.AMQP_URL, source: 'consumer-esm' });
const [event] = await publisher.publish({ type: 'lunch.served', data: { menu: 'soup' }, id: 'esm-1' });
await publisher.close();
console.log(JSON.stringify(event));
`,
    );
    writeFileSync(
      join(project, 'publish.cjs'),
      `const { createFeedPublisher, isFeedError } = require('@feed/publisher');
async function main() {
  const publisher = createFeedPublisher({ url: process.env.AMQP_URL, source: 'consumer-cjs' });
  try {
    await publisher.publish({ type: 'lunch.served', data: { menu: 'soup' }, id: 'cjs-1' });
    await publisher.publish({ type: 'not a type', data: {} });
  } catch (error) {
    console.log(JSON.stringify({ feedError: isFeedError(error), code: error.code }));
  } finally {
    await publisher.close();
  }
}
main();
`,
    );
    const env = { AMQP_URL: vhost.url };
    expect(JSON.parse(await sh('node', ['publish.mjs'], project, env))).toMatchObject({
      specversion: '1.0',
      id: 'esm-1',
      source: 'consumer-esm',
      type: 'lunch.served',
    });
    expect(JSON.parse(await sh('node', ['publish.cjs'], project, env))).toEqual({
      feedError: true,
      code: 'FEED_PUBLISH_INVALID',
    });
    const cli = JSON.parse(
      await sh(
        join(project, 'node_modules/.bin/feed-publish'),
        ['--url', vhost.url, '--source', 'consumer-cli', '--type', 'lunch.served', '--data', '{}'],
        project,
      ),
    ) as { confirmed: number };
    expect(cli.confirmed).toBe(1);

    const stored = async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ source: string; event_id: string }>(
          `select source, event_id from feed_events where source like 'consumer-%' order by source`,
        );
        return rows;
      } finally {
        await client.end();
      }
    };
    const rows = await waitFor('the three events stored', async () => {
      const found = await stored();
      return found.length >= 3 && found;
    });
    expect(rows.map((row) => row.source)).toEqual(['consumer-cjs', 'consumer-cli', 'consumer-esm']);
    expect(rows.filter((row) => row.source !== 'consumer-cli').map((row) => row.event_id)).toEqual([
      'cjs-1',
      'esm-1',
    ]);
  });
});
