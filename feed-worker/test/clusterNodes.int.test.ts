import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createSilentServer,
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  waitFor,
  type SilentServer,
  type TcpProxy,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker } from '../src/index.js';
import {
  createTestPublisher,
  memoryLogger,
  publishStream,
  storedFor,
  testConfig,
  viaPort,
  type TestPublisher,
} from './support.js';

// Several nodes in AMQP_URL, played by one broker behind a proxy per node (which the test
// takes down as a node dies) and by a port that takes connections and never answers.
let vhost: TestVhost;
let db: TestDatabase;
let silent: SilentServer;
let nodeA: TcpProxy;
let nodeB: TcpProxy;
let publisher: TestPublisher;

beforeAll(async () => {
  [vhost, db, silent, nodeA, nodeB] = await Promise.all([
    createTestVhost('worker-cluster-nodes'),
    createTestDatabase('worker_cluster_nodes'),
    createSilentServer(),
    createTcpProxy(5672),
    createTcpProxy(5672),
  ]);
  publisher = await createTestPublisher(vhost.url);
});
afterAll(async () => {
  await publisher?.close();
  await Promise.all([silent?.close(), nodeA?.close(), nodeB?.close()]);
  await vhost?.drop();
  await db?.drop();
});

it('a first node that never answers: the worker consumes from the next one, before its handshake deadline', async () => {
  const log = memoryLogger();
  // WORKER_HEARTBEAT_S 30 makes the handshake deadline 60 s, longer than the test may take:
  // only trying the next node beside the silent one can get the worker consuming.
  const urls = [viaPort(vhost.url, silent.port), viaPort(vhost.url, nodeA.port)].join(',');
  const worker = await startWorker(testConfig(urls, db.url, { WORKER_HEARTBEAT_S: '30' }), {
    logger: log.logger,
  });
  try {
    await waitFor('the worker to be ready', () => worker.isReady(), { timeout: 20_000 });
    expect(silent.accepted(), 'the silent node was tried first').toBeGreaterThanOrEqual(1);
    await publishStream(publisher, 'silent-first', 200);
    await waitFor('200 stored', async () => (await storedFor(db.url, 'silent-first')) === 200);
  } finally {
    await worker.stop();
  }
});

it('the node it consumes from dies: the worker goes to another node at once, consumes again, and stores each event once', async () => {
  const log = memoryLogger();
  const urls = [viaPort(vhost.url, nodeA.port), viaPort(vhost.url, nodeB.port)].join(',');
  // A minimum delay of 20 s: only the immediate attempt can bring the worker back in time.
  const worker = await startWorker(
    testConfig(urls, db.url, {
      WORKER_RECONNECT_MIN_MS: '20000',
      WORKER_RECONNECT_MAX_MS: '60000',
    }),
    { logger: log.logger },
  );
  try {
    await waitFor('the worker to be ready', () => worker.isReady());
    expect(nodeA.connections(), 'consuming through node A').toBeGreaterThanOrEqual(1);
    await publishStream(publisher, 'node-lost', 300);
    await waitFor('300 stored', async () => (await storedFor(db.url, 'node-lost')) === 300);
    // A connection that worked for a second before the loss is what makes the next attempt
    // immediate (one thrown out at once backs off).
    const consuming = log.lines().find((line) => line.msg === 'consuming feed.events');
    await waitFor('a second of consuming', () => Date.now() - Number(consuming!.time) >= 1000);
    nodeA.down();
    await waitFor(
      'a second connection',
      () => worker.stats().connections === 2 && worker.isReady(),
      {
        timeout: 15_000,
      },
    );
    const retries = log
      .lines()
      .filter((line) => line.msg === 'connection lost; reconnecting after delay');
    expect(retries.map((line) => line.delayMs)).toEqual([0]);
    expect(nodeB.connections()).toBeGreaterThanOrEqual(1);
    await publishStream(publisher, 'node-lost', 300);
    await waitFor('600 stored', async () => (await storedFor(db.url, 'node-lost')) === 600);
    expect(log.lines().filter((line) => line.level >= 50)).toEqual([]);
  } finally {
    await worker.stop();
    nodeA.up();
  }
});
