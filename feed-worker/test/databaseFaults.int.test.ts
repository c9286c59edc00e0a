import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  adminUrl,
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TcpProxy,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import {
  createTestPublisher,
  faultsWhileStoring,
  holdFeedTable,
  memoryLogger,
  publishStream,
  query,
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
    createTestVhost('worker-db-faults'),
    createTestDatabase('worker_db_faults'),
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

const start = async (env: Record<string, string> = {}) => {
  const log = memoryLogger('debug');
  worker = await startWorker(testConfig(viaPort(vhost.url, proxy.port), db.url, env), {
    logger: log.logger,
  });
  await waitFor('the worker to be ready', () => worker!.isReady());
  return { worker, lines: log.lines };
};

/** Terminates the worker's database connections; returns how many it terminated. */
const terminateWorkerConnections = async () =>
  (
    await query<{ terminated: boolean }>(
      adminUrl(),
      `select pg_terminate_backend(pid) as terminated from pg_stat_activity
        where datname = $1 and pid <> pg_backend_pid() and application_name = 'feed-worker'`,
      [db.name],
    )
  ).filter((row) => row.terminated).length;

const counter = async (port: number, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
};

it('stores every event exactly once while its database connections are killed mid-stream', async () => {
  const { worker: w } = await start();
  const source = 'db-kills';
  const seen = await readers.watch(source);
  const kills = faultsWhileStoring(db.url, source, [400, 800, 1200, 1600], () =>
    terminateWorkerConnections(),
  );
  const ids = await publishStream(publisher, source, 3000);
  const killed = await kills.done();
  expect(
    killed.map((n) => n > 0),
    `worker connections terminated by each of the four kills: ${killed.join(', ')}`,
  ).toEqual([true, true, true, true]);
  await waitFor('every event stored', async () => (await storedFor(db.url, source)) === 3000, {
    timeout: 30_000,
  });
  await seen.expectEachOnce(ids);
  await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
  // Passing failures are retried, never parked.
  expect(await counter(w.httpPort, 'feed_worker_messages_parked_total')).toBe(0);
  expect(await publisher.deadLetters()).toHaveLength(0);
});

it('P11: a commit held past the heartbeat keeps the connection: nothing lost, nothing twice', async () => {
  const { worker: w } = await start({ WORKER_HEARTBEAT_S: '1' });
  const lock = await holdFeedTable(db.url);
  const connections = w.stats().connections;
  const seen = await readers.watch('slow-db');
  const ids = await publishStream(publisher, 'slow-db', 200);
  await waitFor('a batch waiting on the lock', () => w.stats().busy);
  // Four heartbeat intervals with the worker waiting on the database.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  expect(w.stats().connections).toBe(connections);
  expect(w.isReady()).toBe(true);
  await lock.release();
  await waitFor('stored', async () => (await storedFor(db.url, 'slow-db')) === 200);
  await seen.expectEachOnce(ids);
  expect(w.stats().connections).toBe(connections);
  expect(await counter(w.httpPort, 'feed_worker_reconnects_total')).toBe(0);
  await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
});

it('a statement timeout under a held lock is the database, not the rows: retried past the probe, nothing parked', async () => {
  const { worker: w } = await start({ WORKER_STATEMENT_TIMEOUT_MS: '500' });
  const lock = await holdFeedTable(db.url);
  const seen = await readers.watch('timed-out');
  const ids = await publishStream(publisher, 'timed-out', 50);
  // Past the bounded tries of an unknown error: the write probe times out on the lock too,
  // so the database is at fault and the batch is kept.
  await waitFor(
    'timed-out statements retried past the probe',
    async () => (await counter(w.httpPort, 'feed_worker_store_retries_total')) >= 5,
    { timeout: 30_000 },
  );
  await lock.release();
  await waitFor('stored', async () => (await storedFor(db.url, 'timed-out')) === 50);
  await seen.expectEachOnce(ids);
  expect(await counter(w.httpPort, 'feed_worker_messages_parked_total')).toBe(0);
  expect(await publisher.deadLetters()).toHaveLength(0);
});

it('P5: a batch whose connection is cut mid-commit is not acked on the new channel; the redelivery is absorbed', async () => {
  const { worker: w, lines } = await start();
  const lock = await holdFeedTable(db.url);
  const seen = await readers.watch('mid-commit');
  const ids = await publishStream(publisher, 'mid-commit', 30);
  await waitFor('a batch waiting on the lock', () => w.stats().busy);
  const connections = w.stats().connections;
  proxy.cut();
  // The new connection receives the redelivered copies while the first commit still waits.
  await waitFor('a new connection', () => w.stats().connections > connections);
  await lock.release();
  await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0, {
    timeout: 20_000,
  });
  await waitFor(
    'all acked',
    async () => (await counter(w.httpPort, 'feed_worker_messages_acked_total')) >= 30,
  );
  await seen.expectEachOnce(ids);
  expect(await counter(w.httpPort, 'feed_worker_acks_dropped_total')).toBeGreaterThan(0);
  expect(await counter(w.httpPort, 'feed_worker_events_duplicate_total')).toBeGreaterThan(0);
  // No 406 (unknown delivery tag): no channel was closed by the broker.
  // (Matched on the error's text: a bare "406" would also match a pid or a timestamp.)
  expect(
    lines().filter((l) => /PRECONDITION|unknown delivery tag/.test(JSON.stringify(l))),
  ).toEqual([]);
  expect(w.stats().connections).toBe(connections + 1);
});

it('keeps the batch and reports not ready while the database refuses connections', async () => {
  const { worker: w } = await start();
  await query(adminUrl(), `alter database ${db.name} with allow_connections false`);
  try {
    await terminateWorkerConnections();
    await publishStream(publisher, 'db-down', 50);
    await waitFor('not ready', async () => (await readyz(w.httpPort)).status === 503);
    expect((await readyz(w.httpPort)).body).toMatch(/database unreachable/);
    // Readiness may notice before the batch's first try has failed: wait for the retry.
    await waitFor(
      'the batch retried',
      async () => (await counter(w.httpPort, 'feed_worker_store_retries_total')) > 0,
    );
  } finally {
    await query(adminUrl(), `alter database ${db.name} with allow_connections true`);
  }
  await waitFor('stored', async () => (await storedFor(db.url, 'db-down')) === 50, {
    timeout: 20_000,
  });
  await waitFor('ready', () => w.isReady());
  expect(await publisher.deadLetters()).toHaveLength(0);
});
