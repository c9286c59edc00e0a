import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../test-support/index.js';
import { createParkingBench, type ParkingBench } from './support.js';

const bin = fileURLToPath(new URL('../bin/feed-dead.js', import.meta.url));
const run = promisify(execFile);
let bench: ParkingBench;

/** The built CLI, as an operator runs it: its exit code, stdout and stderr. */
async function feedDead(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, AMQP_URL: bench.vhost.url },
      timeout: 30_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

beforeAll(async () => {
  bench = await createParkingBench('dead-cli');
  await bench.startWorker();
  await bench.publishRaw('{oops', { appId: 'cli-a', messageId: 'c-1' });
  await bench.publishRaw('{oops again', { appId: 'cli-b', messageId: 'c-2' });
  await waitFor('two parked', async () => (await bench.parked()) === 2);
  await bench.stopWorker();
});
afterAll(async () => {
  await bench?.close();
});

it('feed-dead list, show, replay and purge, with exit codes that say what happened', async () => {
  const help = await feedDead('--help');
  expect([help.code, help.out]).toEqual([0, expect.stringContaining('usage: feed-dead list')]);

  const text = await feedDead('list');
  expect(text.code).toBe(0);
  expect(text.out).toMatch(/^2 parked \(FEED_ERR_NOT_JSON 2\)\n/);

  const listed = await feedDead('list', '--json');
  const { total, messages } = JSON.parse(listed.out) as {
    total: number;
    messages: Array<{ id: string; properties: { messageId: string } }>;
  };
  expect(total).toBe(2);
  const c1 = messages.find((message) => message.properties.messageId === 'c-1')!;

  const shown = await feedDead('show', c1.id);
  expect(JSON.parse(shown.out)).toMatchObject({ id: c1.id, bodyPreview: '{oops' });
  const missing = await feedDead('show', 'nope');
  expect([missing.code, missing.err]).toEqual([
    1,
    expect.stringContaining('FEED_ERR_DEAD_NOT_FOUND'),
  ]);

  const unsure = await feedDead('purge', '--all');
  expect([unsure.code, unsure.err]).toEqual([2, expect.stringContaining('--yes')]);
  expect(await bench.parked()).toBe(2);

  const replayed = await feedDead('replay', '--source', 'cli-a');
  expect([replayed.code, replayed.out]).toEqual([0, 'replayed 1, 1 left parked\n']);
  expect(await bench.waiting()).toBe(1);

  const purged = await feedDead(
    'purge',
    c1.id === messages[0]!.id ? messages[1]!.id : messages[0]!.id,
    '--yes',
  );
  expect([purged.code, purged.out]).toEqual([0, 'purged 1, 0 left parked\n']);
  expect(await bench.parked()).toBe(0);
});
