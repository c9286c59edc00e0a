import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { declareTopology } from '@feed/contracts';
import amqp from 'amqplib';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import {
  createTestPublisher,
  faultsWhileStoring,
  publishStream,
  storedFor,
  type TestPublisher,
} from './support.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let readers: FeedReaders;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx tsc -b\` first`);
  [vhost, db] = await Promise.all([
    createTestVhost('worker-process'),
    createTestDatabase('worker_process'),
  ]);
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
});
afterAll(async () => {
  await readers?.close();
  await publisher?.close();
  await waitFor('workers gone', () =>
    [...children].every((c) => c.exitCode !== null || c.signalCode !== null),
  );
  await vhost?.drop();
  await db?.drop();
});

interface Worker {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      AMQP_URL: vhost.url,
      DATABASE_URL: db.url,
      LOG_LEVEL: 'info',
      WORKER_HTTP_PORT: '0',
      WORKER_BATCH_SIZE: '100',
      WORKER_PREFETCH: '300',
      WORKER_RECONNECT_MIN_MS: '50',
      WORKER_RECONNECT_MAX_MS: '500',
      WORKER_SHUTDOWN_TIMEOUT_MS: '8000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: Array<Record<string, unknown>> = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split('\n');
    rest = parts.pop()!;
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part));
  });
  child.stderr!.on('data', (chunk: Buffer) => lines.push({ stderr: chunk.toString() }));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited };
}

const consuming = (worker: Worker) =>
  waitFor(
    'the worker to consume',
    () => worker.lines.some((l) => l.msg === 'consuming feed.events'),
    {
      timeout: 20_000,
    },
  );

it('SIGKILL mid-batch, then a new worker: every event stored exactly once', async () => {
  const source = 'sigkill';
  const first = spawnWorker();
  await consuming(first);
  const seen = await readers.watch(source);
  const kill = faultsWhileStoring(db.url, source, [600], () => first.child.kill('SIGKILL'));
  const ids = await publishStream(publisher, source, 3000);
  expect(await kill.done()).toEqual([true]);
  expect((await first.exited).signal).toBe('SIGKILL');
  const second = spawnWorker();
  await waitFor('every event stored', async () => (await storedFor(db.url, source)) === 3000, {
    timeout: 40_000,
  });
  await seen.expectEachOnce(ids);
  await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0, {
    timeout: 20_000,
  });
  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
});

it('SIGTERM during a stream: exit 0 within the deadline, batch in hand acked, the rest redelivered', async () => {
  const source = 'sigterm';
  const seen = await readers.watch(source);
  // A backlog, so the worker is mid-stream with prefetched messages when the signal comes.
  const ids = await publishStream(publisher, source, 4000, { chunk: 500 });
  const first = spawnWorker({ WORKER_BATCH_WAIT_MS: '5' });
  await waitFor('some stored', async () => (await storedFor(db.url, source)) > 300, {
    timeout: 20_000,
  });
  const signalledAt = Date.now();
  first.child.kill('SIGTERM');
  const exit = await first.exited;
  expect(exit.code).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(8000);
  expect(first.lines.filter((l) => l.msg === 'stopped')).toHaveLength(1);
  // Nothing in limbo: every message is either stored (and acked) or back in the queue.
  const stored = await storedFor(db.url, source);
  await waitFor(
    'the rest back in the queue',
    async () => (await publisher.queueDepth()) === 4000 - stored,
  );
  const second = spawnWorker();
  await waitFor('every event stored', async () => (await storedFor(db.url, source)) === 4000, {
    timeout: 40_000,
  });
  await seen.expectEachOnce(ids);
  second.child.kill('SIGINT');
  expect((await second.exited).code).toBe(0);
});

it('P12: exits non-zero with one clear error when the queue exists with other arguments', async () => {
  const connection = await amqp.connect(vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue('feed.events');
    await channel.deleteQueue('feed.dead');
    await channel.deleteQueue('feed.dead.dropped');
    await declareTopology(channel, { queueType: 'classic' });
  } finally {
    await connection.close();
  }
  const worker = spawnWorker({ FEED_QUEUE_TYPE: 'quorum' });
  const exit = await worker.exited;
  expect(exit.code).toBe(1);
  const errors = worker.lines.filter((l) => Number(l.level) >= 50);
  expect(errors).toHaveLength(1);
  expect((errors[0]!.err as { message: string }).message).toMatch(
    /^queue 'feed\.events' exists with another 'x-queue-type'/,
  );
  expect(worker.lines.filter((l) => l.msg === 'connecting to the broker')).toHaveLength(1);
});

it('refuses a bad variable at start with a message naming it', async () => {
  const worker = spawnWorker({ WORKER_BATCH_SIZE: 'lots' });
  expect((await worker.exited).code).toBe(1);
  expect(worker.lines).toEqual([
    { stderr: 'invalid configuration: WORKER_BATCH_SIZE must be integer\n' },
  ]);
});
