import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  rabbitmqctl,
  waitFor,
  type TcpProxy,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import {
  consumerCount,
  createTestPublisher,
  faultsWhileStoring,
  memoryLogger,
  publishStream,
  readyz,
  storedFor,
  testConfig,
  viaPort,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let proxy: TcpProxy;
let publisher: TestPublisher;
let worker: WorkerHandle | undefined;
let readers: FeedReaders;

beforeAll(async () => {
  [vhost, db, proxy] = await Promise.all([
    createTestVhost('worker-broker-faults'),
    createTestDatabase('worker_broker_faults'),
    createTcpProxy(5672),
  ]);
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(async () => {
  await readers?.close();
  await publisher?.close();
  await proxy?.close();
  await vhost?.drop();
  await db?.drop();
});

const start = async (env: Record<string, string> = {}, logger = memoryLogger().logger) => {
  worker = await startWorker(testConfig(viaPort(vhost.url, proxy.port), db.url, env), {
    logger,
    healthyAfterMs: 60_000,
  });
  await waitFor('the worker to be ready', () => worker!.isReady());
  return worker;
};

it('P1: stores every event exactly once across broker cuts, re-attaches its consumer, and is not ready meanwhile', async () => {
  const w = await start();
  const source = 'cuts';
  const seen = await readers.watch(source);
  // Cut the worker's connection three times mid-stream (it parks nothing, so the consumer's
  // is its only one).
  const cuts = faultsWhileStoring(db.url, source, [500, 1000, 1500], () => proxy.cut());
  const ids = await publishStream(publisher, source, 3000);
  expect(ids).toHaveLength(3000);
  expect(await cuts.done(), 'connections cut by each of the three cuts').toEqual([1, 1, 1]);
  await waitFor(
    'a new connection after each cut',
    () => w.stats().connections === 4 && w.isReady(),
    {
      timeout: 20_000,
    },
  );
  // An outage that lasts: readiness fails while no consumer is attached.
  proxy.down();
  await waitFor('not ready', async () => (await readyz(w.httpPort)).status === 503);
  expect((await readyz(w.httpPort)).body).toMatch(/not connected to the broker/);
  expect(await consumerCount(vhost.name)).toBe(0);
  proxy.up();
  await waitFor('ready again', async () => (await readyz(w.httpPort)).status === 200, {
    timeout: 20_000,
  });
  expect(await consumerCount(vhost.name)).toBe(1);
  await waitFor('every event stored', async () => (await storedFor(db.url, source)) === 3000, {
    timeout: 30_000,
  });
  await seen.expectEachOnce(ids);
  await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
  // New messages after the outage flow too.
  const after = await readers.watch('after-cuts');
  await after.expectEachOnce(await publishStream(publisher, 'after-cuts', 10));
});

it('P1: the broker closing every connection of the vhost (CONNECTION_FORCED) mid-stream loses nothing', async () => {
  const w = await start();
  const source = 'forced';
  const connections = w.stats().connections;
  const seen = await readers.watch(source);
  const ids = await publishStream(publisher, source, 500);
  await waitFor('some stored', async () => (await storedFor(db.url, source)) > 100);
  // Scoped to this test's vhost; it closes the test publisher's connection too.
  await rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'worker test');
  await waitFor('a new connection', () => w.stats().connections > connections && w.isReady(), {
    timeout: 20_000,
  });
  await publisher.close().catch(() => {});
  publisher = await createTestPublisher(vhost.url);
  ids.push(...(await publishStream(publisher, source, 500)));
  await waitFor('every event stored', async () => (await storedFor(db.url, source)) === 1000, {
    timeout: 30_000,
  });
  await seen.expectEachOnce(ids);
  await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
  expect(await consumerCount(vhost.name)).toBe(1);
});

it('P2: re-declares and consumes again after the queue is deleted under it', async () => {
  const w = await start();
  const before = w.stats().connections;
  await publisher.channel.deleteQueue('feed.events');
  await waitFor('a new connection', () => w.stats().connections > before && w.isReady(), {
    timeout: 20_000,
  });
  await publishStream(publisher, 'after-delete', 20);
  await waitFor('stored', async () => (await storedFor(db.url, 'after-delete')) === 20);
  expect(await consumerCount(vhost.name)).toBe(1);
});

it('P9: notices frozen broker traffic within about two heartbeats and recovers when it resumes', async () => {
  const w = await start({ WORKER_HEARTBEAT_S: '1' });
  proxy.freeze();
  const frozenAt = Date.now();
  await waitFor('not ready', () => !w.isReady(), { timeout: 15_000 });
  // Two heartbeats of 1 s, plus scheduling slack on a busy machine.
  expect(Date.now() - frozenAt).toBeLessThan(6000);
  proxy.thaw();
  proxy.cut();
  await waitFor('ready again', () => w.isReady(), { timeout: 20_000 });
  await publishStream(publisher, 'after-freeze', 20);
  await waitFor('stored', async () => (await storedFor(db.url, 'after-freeze')) === 20);
});
