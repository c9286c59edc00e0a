import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  withBrokerEnv,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker } from '../src/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import {
  createTestPublisher,
  holdFeedTable,
  memoryLogger,
  publishStream,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let readers: FeedReaders;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-consumer-timeout'),
    createTestDatabase('worker_consumer_timeout'),
  ]);
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
});
afterAll(async () => {
  await readers?.close();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

const consumerTimeoutMs = 5000;

// RabbitMQ 3.10 has no per-queue consumer timeout: the broker-wide setting is changed for
// channels opened meanwhile, so this runs in the serial project, alone, and puts it back.
// The channel checks its deliveries on each tick (every 60 s by default): a short tick makes
// the broker act soon after the timeout.
it('P11: the broker closes the channel of a commit held past consumer_timeout; the worker recovers, nothing lost or twice', async () => {
  await withBrokerEnv(
    { consumer_timeout: consumerTimeoutMs, channel_tick_interval: 500 },
    async () => {
      const log = memoryLogger();
      const w = await startWorker(testConfig(vhost.url, db.url), { logger: log.logger });
      try {
        await waitFor('the worker to be ready', () => w.isReady());
        const source = 'consumer-timeout';
        const seen = await readers.watch(source);
        const lock = await holdFeedTable(db.url);
        let released = false;
        try {
          const ids = await publishStream(publisher, source, 200);
          await waitFor('a batch waiting on the table', () => w.stats().busy);
          // The broker, not the test, ends the wait: its channel.close, which the worker logs
          // with the broker's reason.
          const closed = await waitFor(
            'the broker to close the channel for the ack timeout',
            () =>
              log
                .lines()
                .find((line) =>
                  /delivery acknowledgement on channel \d+ timed out/.test(
                    JSON.stringify(line.err),
                  ),
                ),
            { timeout: consumerTimeoutMs + 15_000, interval: 100 },
          );
          expect(JSON.stringify(closed.err)).toMatch(/PRECONDITION_FAILED/);
          await lock.release();
          released = true;
          await waitFor('a new connection', () => w.stats().connections === 2 && w.isReady(), {
            timeout: 20_000,
          });
          await seen.expectEachOnce(ids);
          await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
          const metrics = await (await fetch(`http://127.0.0.1:${w.httpPort}/metrics`)).text();
          // The batch held when the channel closed could not be acked there: redelivered, and
          // absorbed by the unique key.
          expect(metrics).toMatch(/^feed_worker_acks_dropped_total [1-9]/m);
          expect(await publisher.deadLetters()).toHaveLength(0);
        } finally {
          if (!released) await lock.release();
        }
      } finally {
        await w.stop();
      }
    },
  );
});
