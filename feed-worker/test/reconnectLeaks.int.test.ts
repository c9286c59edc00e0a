import type { EventEmitter } from 'node:events';
import type * as Amqplib from 'amqplib';
import type * as FeedStore from '@feed/store';
import type { Pool } from '@feed/store';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
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
import {
  aliveConnections,
  grownResources,
  heapAfterCollection,
  listenerCounts,
  newestConnectionListeners,
  openedConnections,
  resourceCounts,
  watchListenerWarnings,
} from '../../test-support/leakProbe.js';
import { startWorker } from '../src/index.js';
import {
  consumerCount,
  createTestPublisher,
  memoryLogger,
  publishStream,
  storedFor,
  testConfig,
  viaPort,
  type TestPublisher,
} from './support.js';

// The worker connects as always; the test sees every connection and channel it opens, and
// the pool it creates.
vi.mock('amqplib', async (importOriginal) =>
  (await import('../../test-support/leakProbe.js')).recordingAmqplib(
    await importOriginal<typeof Amqplib>(),
  ),
);
const pools = vi.hoisted(() => [] as object[]);
vi.mock('@feed/store', async (importOriginal) => {
  const actual = await importOriginal<typeof FeedStore>();
  return {
    ...actual,
    createPool: (...args: Parameters<typeof actual.createPool>) => {
      const pool = actual.createPool(...args);
      pools.push(pool);
      return pool;
    },
  };
});

let vhost: TestVhost;
let db: TestDatabase;
let proxy: TcpProxy;
let publisher: TestPublisher;

beforeAll(async () => {
  [vhost, db, proxy] = await Promise.all([
    createTestVhost('worker-reconnect-leaks'),
    createTestDatabase('worker_reconnect_leaks'),
    createTcpProxy(5672),
  ]);
  publisher = await createTestPublisher(vhost.url);
});
afterAll(async () => {
  await publisher?.close();
  await proxy?.close();
  await vhost?.drop();
  await db?.drop();
});

/** Connections and channels the broker holds on the vhost. */
const onBroker = async (item: 'connections' | 'channels') =>
  (await rabbitmqctl(`list_${item}`, '-q', '--no-table-headers', 'vhost'))
    .split('\n')
    .filter((line) => line.trim() === vhost.name).length;

/** The worker's consumer connection (the parking one connects only to park). */
const consumer = /^feed-worker (?!parking)/;

const collected = async () => ({
  heap: await heapAfterCollection(),
  alive: aliveConnections('feed-worker'),
});

it('P10: 100 reconnect cycles leave listeners, handles, broker consumers and heap where they were', async () => {
  const listenerWarnings = watchListenerWarnings();
  const log = memoryLogger();
  const w = await startWorker(
    testConfig(viaPort(vhost.url, proxy.port), db.url, {
      WORKER_RECONNECT_MIN_MS: '1',
      WORKER_RECONNECT_MAX_MS: '20',
    }),
    // Queue checks often, so their timer and channels are part of every connection measured.
    { logger: log.logger, healthyAfterMs: 60_000, queueCheckIntervalMs: 100 },
  );
  try {
    await waitFor('the worker to be ready', () => w.isReady());
    expect(pools).toHaveLength(1);
    const pool = pools[0] as Pool;
    const reused = () => ({
      process: listenerCounts(process),
      pool: listenerCounts(pool),
      logger: listenerCounts(log.logger as unknown as EventEmitter),
    });
    const start = {
      reused: reused(),
      created: newestConnectionListeners(consumer),
      resources: resourceCounts(),
      ...(await collected()),
    };
    // The worker's consumer connection with its consumer's channel and the channel watching
    // feed.dead.dropped, and the test publisher's connection and channel (a queue check's
    // channel lives a moment only).
    const brokerHolds = async (connections: number, channels: number) =>
      (await onBroker('connections')) === connections && (await onBroker('channels')) === channels;
    await waitFor('two connections and three channels on the broker', () => brokerHolds(2, 3));

    for (let cycle = 0; cycle < 100; cycle += 1) {
      const connections = w.stats().connections;
      expect(proxy.cut(), `cycle ${cycle}: the consumer connection cut`).toBe(1);
      await waitFor(
        `connection ${connections + 1}`,
        () => w.stats().connections > connections && w.isReady(),
        {
          timeout: 20_000,
        },
      );
    }
    expect(w.stats().connections).toBe(101);

    // What a reconnect reuses has the listeners it had, and nothing passed the listener limit
    // (Node warns at 11 on any emitter or AbortSignal: the ones inside the worker too).
    expect(reused()).toEqual(start.reused);
    expect(listenerWarnings.warnings()).toEqual([]);
    // What a reconnect creates has as many listeners as the first one had.
    expect(newestConnectionListeners(consumer)).toEqual(start.created);
    // No socket, server or timer left behind by the 100 connections (one closing may take a
    // moment; one that stays is a leak).
    await waitFor('no more handles of any type than before', () => {
      return grownResources(start.resources).length === 0;
    }).catch(() => {});
    expect(
      grownResources(start.resources),
      `handles that grew, from ${JSON.stringify(start.resources)}`,
    ).toEqual([]);
    expect(await consumerCount(vhost.name)).toBe(1);
    await waitFor('still two connections and three channels on the broker', () =>
      brokerHolds(2, 3),
    );
    // The 100 ended connections are collectable: the current one stays, and at most the last
    // one ended (a loop may hold its close error until the next, and an error's stack holds
    // what threw it). A reconnect that kept something of each connection would leave a hundred.
    expect(openedConnections.filter((c) => consumer.test(c.name))).toHaveLength(101);
    let end = await collected();
    await waitFor('the ended connections collected', async () => {
      end = await collected();
      return end.alive <= start.alive + 1;
    }).catch(() => {});
    expect(end.alive, 'worker connections still in memory').toBeLessThanOrEqual(start.alive + 1);
    // What a connection holds (buffers, parsers, closures) would add up to several MB over 100.
    expect(end.heap - start.heap).toBeLessThan(5 * 1024 * 1024);
    const metrics = await (await fetch(`http://127.0.0.1:${w.httpPort}/metrics`)).text();
    expect(Number(/feed_worker_reconnects_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(
      100,
    );
    await publishStream(publisher, 'after-cycles', 20);
    await waitFor('stored', async () => (await storedFor(db.url, 'after-cycles')) === 20);
  } finally {
    listenerWarnings.stop();
    await w.stop();
  }
});
