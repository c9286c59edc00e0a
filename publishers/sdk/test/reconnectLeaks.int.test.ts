import type * as Amqplib from 'amqplib';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createFeedPublisher } from '@feed/publisher';
import {
  createTcpProxy,
  createTestVhost,
  waitFor,
  type TcpProxy,
  type TestVhost,
} from '../../../test-support/index.js';
import {
  aliveConnections,
  grownResources,
  heapAfterCollection,
  listenerCounts,
  newestConnectionListeners,
  openedConnections,
  resourceCounts,
  watchListenerWarnings,
} from '../../../test-support/leakProbe.js';
import { readQueue, type QueueReader } from './support/queueReader.js';

// The publisher connects as always; the test sees every connection and channel it opens.
vi.mock('amqplib', async (importOriginal) =>
  (await import('../../../test-support/leakProbe.js')).recordingAmqplib(
    await importOriginal<typeof Amqplib>(),
  ),
);

let vhost: TestVhost;
let proxy: TcpProxy;
let reader: QueueReader;

beforeAll(async () => {
  [vhost, proxy] = await Promise.all([
    createTestVhost('sdk-reconnect-leaks'),
    createTcpProxy(5672),
  ]);
  reader = await readQueue(vhost.url);
});
afterAll(async () => {
  await reader?.close();
  await proxy?.close();
  await vhost?.drop();
});

const name = 'feed-publisher sdk-leaks';

it('P10: 100 connection cycles leave listeners, handles and heap flat, and settle every publish', async () => {
  const listenerWarnings = watchListenerWarnings();
  const p = createFeedPublisher({
    url: `amqp://guest:guest@127.0.0.1:${proxy.port}/${encodeURIComponent(vhost.name)}`,
    source: 'sdk-leaks',
    connectionName: name,
    publishTimeoutMs: 60_000,
    reconnectMinMs: 1,
    reconnectMaxMs: 20,
  });
  const outcomes = { confirmed: 0, rejected: [] as string[] };
  const publish = (id: string) =>
    p.publish({ type: 'load.cycle', data: { n: id }, id }).then(
      () => void (outcomes.confirmed += 1),
      (error: Error) => void outcomes.rejected.push(`${id}: ${error.message}`),
    );
  try {
    await publish('warm-up');
    const start = {
      process: listenerCounts(process),
      created: newestConnectionListeners(name),
      resources: resourceCounts(),
      heap: await heapAfterCollection(),
      alive: aliveConnections(name),
    };

    for (let cycle = 0; cycle < 100; cycle += 1) {
      const reconnects = p.stats().reconnects;
      // Publishes before the cut, in flight at it, and while reconnecting.
      for (let i = 0; i < 5; i += 1) void publish(`c${cycle}-${i}`);
      expect(proxy.cut(), `cycle ${cycle}: the publisher connection cut`).toBe(1);
      for (let i = 5; i < 10; i += 1) void publish(`c${cycle}-${i}`);
      await waitFor(
        `reconnect ${reconnects + 1}`,
        () => p.stats().reconnects > reconnects && p.state === 'connected',
        { timeout: 20_000 },
      );
    }
    expect(p.stats().reconnects).toBe(100);

    // Every publish settled, and every one was confirmed (the timeout is far away).
    await waitFor(
      'every publish settled',
      () => outcomes.confirmed + outcomes.rejected.length === 1001,
      { timeout: 30_000 },
    ).catch(() => {});
    expect(outcomes.rejected).toEqual([]);
    expect(outcomes.confirmed).toBe(1001);
    expect(p.stats()).toMatchObject({ buffered: 0, inFlight: 0, waiting: 0 });
    await waitFor('every confirmed message in the queue', () => {
      const ids = new Set(reader.ids());
      return ids.size === 1001 && ids.has('c99-9');
    });

    // Nothing that lives across reconnects gained listeners; what a connect creates has as
    // many as the first one had; no handle type grew; the ended connections are collectable.
    expect(listenerCounts(process)).toEqual(start.process);
    expect(listenerWarnings.warnings()).toEqual([]);
    expect(newestConnectionListeners(name)).toEqual(start.created);
    await waitFor('no more handles of any type than before', () => {
      return grownResources(start.resources).length === 0;
    }).catch(() => {});
    expect(
      grownResources(start.resources),
      `handles that grew, from ${JSON.stringify(start.resources)}`,
    ).toEqual([]);
    expect(openedConnections.filter((c) => c.name === name)).toHaveLength(101);
    let alive = aliveConnections(name);
    let heap = 0;
    // The current connection, and at most the last one ended: the loop may hold that one's
    // close error until the next, and an error's stack holds what threw it. A reconnect that
    // kept something of each connection would leave a hundred.
    await waitFor('the ended connections collected', async () => {
      heap = await heapAfterCollection();
      alive = aliveConnections(name);
      return alive <= start.alive + 1;
    }).catch(() => {});
    expect(alive, 'publisher connections still in memory').toBeLessThanOrEqual(start.alive + 1);
    expect(heap - start.heap).toBeLessThan(5 * 1024 * 1024);
    expect(await vhost.connections()).toBe(2);
  } finally {
    listenerWarnings.stop();
    await p.close({ timeoutMs: 2000 });
  }
});
