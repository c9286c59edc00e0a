import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FeedErrorCode, type FeedEvent } from '@feed/contracts';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import {
  createTcpProxy,
  createTestVhost,
  waitFor,
  type TcpProxy,
  type TestVhost,
} from '../../../test-support/index.js';
import { duplicates, readQueue, withChannel, type QueueReader } from './support/queueReader.js';

const event = (n: number) => ({
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

/** The vhost, reached through the proxy the test cuts. */
const proxied = (proxy: TcpProxy, vhost: TestVhost) =>
  `amqp://guest:guest@127.0.0.1:${proxy.port}/${encodeURIComponent(vhost.name)}`;

describe('publisher under broker faults', () => {
  let vhost: TestVhost;
  let proxy: TcpProxy;
  let publisher: FeedPublisher | undefined;
  let reader: QueueReader | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('sdk-faults');
    // Declares the topology in the vhost, so the purges below find the queue.
    await (await readQueue(vhost.url)).close();
  });
  afterEach(async () => {
    await publisher?.close({ timeoutMs: 2000 });
    publisher = undefined;
    await reader?.close();
    reader = undefined;
    await proxy?.close();
    await withChannel(vhost.url, (channel) => channel.purgeQueue('feed.events'));
  });
  afterAll(async () => {
    await vhost.drop();
  });

  it('cut twice during a stream: every publish settles, every confirmed one is in the queue', async () => {
    proxy = await createTcpProxy(5672);
    reader = await readQueue(vhost.url);
    const p = createFeedPublisher({
      url: proxied(proxy, vhost),
      source: 'sdk-faults',
      publishTimeoutMs: 60_000,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
    });
    publisher = p;
    await p.publish(event(0));

    const sends: Array<Promise<FeedEvent[]>> = [];
    const publishedIds: string[] = [];
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 100; i++) {
        const id = `r${round}-${i}`;
        publishedIds.push(id);
        sends.push(p.publish({ ...event(i), id }));
      }
      if (round === 10 || round === 20) {
        expect(proxy.cut(), 'the publisher connection cut').toBe(1);
        // Publishing goes on while it reconnects; the second cut hits the new connection.
        const reconnects = p.stats().reconnects;
        while (p.stats().reconnects === reconnects || p.state !== 'connected')
          await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.allSettled(sends);
    const confirmed = results.flatMap((r) =>
      r.status === 'fulfilled' ? r.value.map((e) => e.id) : [],
    );
    const rejected = results.filter((r) => r.status === 'rejected');
    // The timeout is long: nothing may be rejected, so all 3000 must be confirmed.
    expect(rejected).toEqual([]);
    expect(confirmed).toHaveLength(3000);
    // Two cuts, two reconnects: the second cut hit the new connection, not a dead one.
    expect(p.stats().reconnects).toBe(2);

    await waitFor('every confirmed id in the queue', () => {
      const seen = new Set(reader!.ids());
      return confirmed.every((id) => seen.has(id));
    });
    const ids = reader.ids().filter((id) => id.startsWith('r'));
    expect(new Set(ids)).toEqual(new Set(publishedIds));
    // Resent after a cut with the same message_id; the feed stores each (source, id) once.
    const dup = duplicates(ids);
    expect(dup).toBeLessThanOrEqual(p.stats().resent);
    console.info(
      `cut test: 3000 confirmed, ${p.stats().resent} resent, ${dup} duplicates in the queue`,
    );
  });

  it('broker unreachable: publishes time out, were never sent, and never arrive later', async () => {
    proxy = await createTcpProxy(5672);
    proxy.down();
    reader = await readQueue(vhost.url);
    const p = createFeedPublisher({
      url: proxied(proxy, vhost),
      source: 'sdk-faults',
      publishTimeoutMs: 500,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
    });
    publisher = p;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => p.publish({ ...event(i), id: `lost-${i}` })),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as Error & { code: string };
      expect(error.code).toBe(FeedErrorCode.PublishTimeout);
      expect(error.message).toMatch(/the broker is unreachable.*it was never sent/);
    }
    expect(p.stats()).toMatchObject({ buffered: 0, rejected: 50 });
    proxy.up();
    await waitFor('connected again', () => p.state === 'connected');
    const [marker] = await p.publish({ ...event(99), id: 'after' });
    await waitFor('the marker', () => reader!.ids().includes(marker!.id));
    // published − rejected = delivered: 50 − 50 = 0.
    expect(reader.ids()).toEqual(['after']);
  });

  it('bounded buffer: past the cap publishes reject at once, memory stays flat, then it drains in order', async () => {
    proxy = await createTcpProxy(5672);
    proxy.down();
    const p = createFeedPublisher({
      url: proxied(proxy, vhost),
      source: 'sdk-faults',
      maxBuffered: 1000,
      publishTimeoutMs: 120_000,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
    });
    publisher = p;
    const padding = 'x'.repeat(20_000);
    const before = process.memoryUsage().arrayBuffers;
    const sends = Array.from({ length: 10_000 }, (_, i) =>
      p.publish({ type: 'load.padded', data: { padding }, id: `b-${String(i).padStart(5, '0')}` }),
    );
    const grown = process.memoryUsage().arrayBuffers - before;
    // 1000 held bodies of ~20 kB: ~20 MB. Holding all 10 000 would be ~200 MB.
    expect(grown).toBeLessThan(80 * 1024 * 1024);
    expect(p.stats().buffered).toBe(1000);

    const refused = await Promise.allSettled(sends.slice(1000));
    for (const result of refused) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: FeedErrorCode.PublishBufferFull,
        message: expect.stringMatching(/publish buffer full: 1000 of 1000 .*broker is unreachable/),
      });
    }

    reader = await readQueue(vhost.url);
    proxy.up();
    const confirmed = (await Promise.all(sends.slice(0, 1000))).flat().map((e) => e.id);
    await waitFor('the 1000 buffered messages', () => reader!.messages.length >= 1000);
    expect(reader.ids()).toEqual(confirmed);
    expect(confirmed).toEqual([...confirmed].sort());
  });

  it('a frozen broker (no bytes, sockets open) is noticed by heartbeats; publishes go out after', async () => {
    proxy = await createTcpProxy(5672);
    reader = await readQueue(vhost.url);
    const p = createFeedPublisher({
      url: proxied(proxy, vhost),
      source: 'sdk-faults',
      heartbeatS: 1,
      connectTimeoutMs: 1000,
      publishTimeoutMs: 60_000,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
    });
    publisher = p;
    await p.publish({ ...event(0), id: 'before' });
    proxy.freeze();
    const during = Array.from({ length: 20 }, (_, i) =>
      p.publish({ ...event(i), id: `frozen-${i}` }),
    );
    await waitFor('the dead connection noticed', () => p.state === 'connecting', {
      timeout: 15_000,
    });
    proxy.thaw();
    const confirmed = (await Promise.all(during)).flat().map((e) => e.id);
    await waitFor('every frozen-time publish in the queue', () => {
      const seen = new Set(reader!.ids());
      return confirmed.every((id) => seen.has(id));
    });
    expect(p.stats()).toMatchObject({ confirmed: 21, rejected: 0 });
    // One freeze, one lost connection (attempts that time out while frozen never connected).
    expect(p.stats().reconnects).toBe(1);
  });

  it('a queue declared with other arguments rejects clearly and stops, instead of looping', async () => {
    const other = await createTestVhost('sdk-mismatch');
    try {
      await withChannel(other.url, (channel) =>
        channel.assertQueue('feed.events', {
          durable: true,
          arguments: { 'x-queue-type': 'classic', 'x-dead-letter-exchange': 'feed.dlx' },
        }),
      );
      const p = createFeedPublisher({ url: other.url, source: 'sdk-faults', queueType: 'quorum' });
      const states: string[] = [];
      p.on('state', (state) => states.push(state));
      const error = await p.publish(event(1)).catch((e: Error) => e);
      expect(error).toMatchObject({
        code: FeedErrorCode.TopologyMismatch,
        message: expect.stringContaining("queue 'feed.events' exists with another 'x-queue-type'"),
      });
      expect(p.state).toBe('failed');
      await waitFor('no connection left', async () => (await other.connections()) === 0);
      await expect(p.publish(event(2))).rejects.toMatchObject({
        code: FeedErrorCode.TopologyMismatch,
      });
      await p.close();
      expect(states).toEqual(['failed', 'closing', 'closed']);
    } finally {
      await other.drop();
    }
  });
});
