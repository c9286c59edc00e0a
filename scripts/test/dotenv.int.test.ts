import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../dotenv.mjs', import.meta.url));
let root: string;

/** The launcher copied into a folder of its own, beside a .env the test writes. */
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'feed-dotenv-'));
  await mkdir(join(root, 'scripts'));
  await copyFile(launcher, join(root, 'scripts', 'dotenv.mjs'));
  await writeFile(join(root, '.env'), 'FEED_A=from-dotenv\nFEED_B=from-dotenv\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const run = (env: Record<string, string>) =>
  promisify(execFile)(
    process.execPath,
    [
      join(root, 'scripts', 'dotenv.mjs'),
      process.execPath,
      '-e',
      'console.log(JSON.stringify([process.env.FEED_A ?? null, process.env.FEED_B ?? null]))',
    ],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  );

describe('scripts/dotenv.mjs', () => {
  it("loads the repository's .env for the command, the environment winning over the file", async () => {
    const { stdout } = await run({ FEED_B: 'from-environment' });
    expect(JSON.parse(stdout)).toEqual(['from-dotenv', 'from-environment']);
  });

  it('skips the file with FEED_DOTENV=off', async () => {
    const { stdout } = await run({ FEED_DOTENV: 'off' });
    expect(JSON.parse(stdout)).toEqual([null, null]);
  });

  it("passes the command's exit code back", async () => {
    const failed = await promisify(execFile)(process.execPath, [
      join(root, 'scripts', 'dotenv.mjs'),
      process.execPath,
      '-e',
      'process.exit(3)',
    ]).catch((error: { code: number }) => error);
    expect((failed as { code: number }).code).toBe(3);
  });
});
