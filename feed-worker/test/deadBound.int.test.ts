import { afterAll, beforeAll, expect, it } from 'vitest';
import { topology } from '@feed/contracts';
import {
  createTestDatabase,
  createTestVhost,
  rabbitmqctl,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import { createTestPublisher, memoryLogger, testConfig, type TestPublisher } from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let worker: WorkerHandle;
const log = memoryLogger();
const bound = 5;

const metric = async (pattern: RegExp) => {
  const text = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
  const match = pattern.exec(text);
  return match === null ? undefined : Number(match[1]);
};

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-dead-bound'),
    createTestDatabase('worker_dead_bound'),
  ]);
  // The policy the worker README documents, with a bound small enough to reach.
  await rabbitmqctl(
    'set_policy',
    '-p',
    vhost.name,
    '--apply-to',
    'queues',
    'feed-dead-bound',
    '^feed\\.dead$',
    JSON.stringify({
      'max-length': bound,
      overflow: 'drop-head',
      'dead-letter-exchange': topology.droppedExchange,
    }),
  );
  publisher = await createTestPublisher(vhost.url);
  worker = await startWorker(testConfig(vhost.url, db.url), {
    logger: log.logger,
    queueCheckIntervalMs: 100,
  });
  await waitFor('the worker to be ready', () => worker.isReady());
});
afterAll(async () => {
  await worker?.stop();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

it('at the bound of feed.dead the oldest parked messages go, each with a log line and a count; parking never fails', async () => {
  for (let n = 0; n < bound + 3; n += 1)
    await publisher.publishRaw(Buffer.from(`{not json ${n}`), {
      contentType: 'application/json',
      messageId: `over-${n}`,
      appId: 'bound-test',
    });
  await waitFor(
    'three dropped and counted',
    async () =>
      (await metric(/^feed_worker_parked_dropped_total\{code="FEED_ERR_NOT_JSON"\} (\S+)/m)) === 3,
  );
  const dropped = log
    .lines()
    .filter((line) => String(line.msg).startsWith('parked message dropped'));
  // The oldest went, each named.
  expect(dropped.map((line) => line.eventId)).toEqual(['over-0', 'over-1', 'over-2']);
  expect(dropped[0]).toMatchObject({ code: 'FEED_ERR_NOT_JSON', source: 'bound-test' });
  expect((await publisher.channel.checkQueue(topology.deadLetterQueue)).messageCount).toBe(bound);
  await waitFor(
    'the depth of feed.dead in the metrics',
    async () => (await metric(/^feed_worker_dead_queue_messages (\S+)/m)) === bound,
  );
  // Every park was confirmed at the first try, every message acked.
  expect(await metric(/^feed_worker_park_retries_total (\S+)/m)).toBe(0);
  expect(
    await metric(/^feed_worker_messages_parked_total\{code="FEED_ERR_NOT_JSON"\} (\S+)/m),
  ).toBe(bound + 3);
  expect(await publisher.queueDepth()).toBe(0);
  expect((await publisher.channel.checkQueue(topology.droppedQueue)).messageCount).toBe(0);
});
