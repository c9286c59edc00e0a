import type { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Amqplib from 'amqplib';
import type { Channel, ChannelModel, Options } from 'amqplib';
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

/**
 * What the worker opens through its libraries, seen from outside: every AMQP connection and
 * channel (held weakly, so the record itself keeps nothing alive) and its database pool.
 */
const opened = vi.hoisted(() => ({
  connections: [] as Array<{ name: string; model: WeakRef<object>; channels: WeakRef<object>[] }>,
  pools: [] as object[],
}));

vi.mock('amqplib', async (importOriginal) => {
  const actual = await importOriginal<typeof Amqplib>();
  const connect = async (url: string | Options.Connect, socketOptions?: unknown) => {
    const model = await actual.connect(url, socketOptions);
    const clientProperties = (socketOptions as { clientProperties?: Record<string, unknown> })
      ?.clientProperties;
    const record = {
      name: String(clientProperties?.connection_name ?? ''),
      model: new WeakRef(model),
      channels: [] as WeakRef<object>[],
    };
    opened.connections.push(record);
    for (const method of ['createChannel', 'createConfirmChannel'] as const) {
      const original = model[method].bind(model) as () => Promise<Channel>;
      Object.defineProperty(model, method, {
        value: async () => {
          const channel = await original();
          record.channels.push(new WeakRef(channel));
          return channel;
        },
      });
    }
    return model;
  };
  return { ...actual, connect, default: { ...actual, connect } };
});

vi.mock('@feed/store', async (importOriginal) => {
  const actual = await importOriginal<typeof FeedStore>();
  return {
    ...actual,
    createPool: (...args: Parameters<typeof actual.createPool>) => {
      const pool = actual.createPool(...args);
      opened.pools.push(pool);
      return pool;
    },
  };
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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

/** Listeners per event of an emitter. */
const listeners = (emitter: EventEmitter) =>
  Object.fromEntries(
    emitter.eventNames().map((name) => [String(name), emitter.listenerCount(name)]),
  );

/** Active handles and requests (sockets, servers, timers), counted by type. */
const resources = () => {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
};

/** The worker's consumer connection that is open now (the parking one connects on demand). */
const consumerConnection = () => {
  const record = opened.connections.filter((c) => /^feed-worker (?!parking)/.test(c.name)).at(-1);
  const model = record?.model.deref() as ChannelModel | undefined;
  const channel = record?.channels[0]?.deref() as Channel | undefined;
  if (model === undefined || channel === undefined) throw new Error('no consumer connection');
  // The model, the connection under it and the consumer channel: what each reconnect creates.
  return {
    model: listeners(model),
    connection: listeners(model.connection as unknown as EventEmitter),
    channel: listeners(channel),
  };
};

/** Connections and channels the broker holds on the vhost. */
const onBroker = async (item: 'connections' | 'channels') =>
  (await rabbitmqctl(`list_${item}`, '-q', '--no-table-headers', 'vhost'))
    .split('\n')
    .filter((line) => line.trim() === vhost.name).length;

/** Heap after a full collection, and how many of the worker's connections are still alive. */
const afterCollection = async () => {
  // A WeakRef's target survives the job that created or read it: let those jobs end first.
  for (let i = 0; i < 3; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return {
    heap: process.memoryUsage().heapUsed,
    alive: opened.connections.filter(
      (c) => c.name.startsWith('feed-worker') && c.model.deref() !== undefined,
    ).length,
  };
};

it('P10: 100 reconnect cycles leave listeners, handles, broker consumers and heap where they were', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  const log = memoryLogger();
  const w = await startWorker(
    testConfig(viaPort(vhost.url, proxy.port), db.url, {
      WORKER_RECONNECT_MIN_MS: '1',
      WORKER_RECONNECT_MAX_MS: '20',
    }),
    // Queue checks often, so their timer and channels are part of every session measured.
    { logger: log.logger, healthyAfterMs: 60_000, queueCheckIntervalMs: 100 },
  );
  try {
    await waitFor('the worker to be ready', () => w.isReady());
    expect(opened.pools).toHaveLength(1);
    const pool = opened.pools[0] as Pool;
    const reused = () => ({
      process: listeners(process),
      pool: listeners(pool),
      logger: listeners(log.logger as unknown as EventEmitter),
    });
    const start = {
      reused: reused(),
      created: consumerConnection(),
      resources: resources(),
      ...(await afterCollection()),
    };
    // The worker's consumer connection and channel, and the test publisher's (a queue check's
    // channel lives a moment only).
    const brokerHolds = async (connections: number, channels: number) =>
      (await onBroker('connections')) === connections && (await onBroker('channels')) === channels;
    await waitFor('two connections and two channels on the broker', () => brokerHolds(2, 2));

    for (let cycle = 0; cycle < 100; cycle += 1) {
      const sessions = w.stats().sessions;
      expect(proxy.cut(), `cycle ${cycle}: the consumer connection cut`).toBe(1);
      await waitFor(`session ${sessions + 1}`, () => w.stats().sessions > sessions && w.isReady(), {
        timeout: 20_000,
      });
    }
    expect(w.stats().sessions).toBe(101);

    // What a reconnect reuses has the listeners it had, and nothing passed the listener limit
    // (Node warns at 11 on any emitter or AbortSignal: the ones inside the worker too).
    expect(reused()).toEqual(start.reused);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual(
      [],
    );
    // What a reconnect creates has as many listeners as the first one had.
    expect(consumerConnection()).toEqual(start.created);
    // No socket, server or timer left behind by the 100 sessions.
    const grown = () =>
      Object.entries(resources()).filter(([type, count]) => count > (start.resources[type] ?? 0));
    // A timer or a socket closing may take a moment; one that stays is a leak.
    await waitFor('no more handles of any type than before', () => grown().length === 0).catch(
      () => {},
    );
    expect(grown(), `handles that grew, from ${JSON.stringify(start.resources)}`).toEqual([]);
    expect(await consumerCount(vhost.name)).toBe(1);
    await waitFor('still two connections and two channels on the broker', () => brokerHolds(2, 2));
    // The 100 closed connections are collectable: nothing holds a session once it ended.
    expect(opened.connections.filter((c) => c.name.startsWith('feed-worker'))).toHaveLength(101);
    let end = await afterCollection();
    await waitFor('the ended sessions collected', async () => {
      end = await afterCollection();
      return end.alive <= start.alive;
    }).catch(() => {});
    expect(end.alive, 'worker connections still in memory').toBeLessThanOrEqual(start.alive);
    // What a session holds (buffers, parsers, closures) would add up to several MB over 100.
    expect(end.heap - start.heap).toBeLessThan(5 * 1024 * 1024);
    const metrics = await (await fetch(`http://127.0.0.1:${w.httpPort}/metrics`)).text();
    expect(Number(/feed_worker_reconnects_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(
      100,
    );
    await publishStream(publisher, 'after-cycles', 20);
    await waitFor('stored', async () => (await storedFor(db.url, 'after-cycles')) === 20);
  } finally {
    process.off('warning', onWarning);
    await w.stop();
  }
});
