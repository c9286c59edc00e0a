import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import {
  cloudEvent,
  createTestPublisher,
  memoryLogger,
  storedFor,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let worker: WorkerHandle | undefined;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-bytes'),
    createTestDatabase('worker_bytes'),
  ]);
  publisher = await createTestPublisher(vhost.url);
});
afterAll(async () => {
  await worker?.stop();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

const MiB = 1024 * 1024;

it('holds no more than its byte budget lets it when handed a queue of the largest messages, and stores what follows', async () => {
  const budget = 4 * MiB;
  const prefetch = 20;
  const size = 1.5 * MiB;
  // Over the feed's 1 MiB limit: each is parked whole, a copy of its body sent to feed.dead.
  const big = Buffer.alloc(size, 'x');
  for (let i = 0; i < 40; i += 1) await publisher.publishRaw(big, { messageId: `big-${i}` });
  const good = Array.from({ length: 50 }, () => cloudEvent({ source: 'after-big' }));
  await publisher.publishMany(good);

  const log = memoryLogger();
  worker = await startWorker(
    testConfig(vhost.url, db.url, {
      WORKER_MAX_BYTES_IN_HAND: String(budget),
      WORKER_PREFETCH: String(prefetch),
      WORKER_BATCH_SIZE: '10',
    }),
    { logger: log.logger },
  );
  await waitFor(
    'the events after the big ones',
    async () => (await storedFor(db.url, 'after-big')) === 50,
    {
      timeout: 60_000,
    },
  );
  await waitFor(
    'every big message parked',
    async () => (await publisher.deadLetters()).length === 40,
    {
      timeout: 30_000,
    },
  );

  const pauses = log.lines().filter((line) => String(line.msg).startsWith('bytes in hand over'));
  expect(pauses.length).toBeGreaterThan(0);
  // After the first pause the prefetch is what fits the budget: two messages of 1.5 MiB.
  expect(pauses[0]).toMatchObject({ nextPrefetch: 2 });
  const text = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
  const peak = Number(/^feed_worker_bytes_in_hand_peak (\S+)/m.exec(text)![1]);
  // The stated bound: the budget, plus what the broker had sent before the pause took effect
  // (at most a prefetch of the largest message).
  expect(peak).toBeLessThanOrEqual(budget + prefetch * size);
  expect(peak).toBeGreaterThan(budget);
});
