import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedErrorCode } from '@feed/contracts';
import { createFeedPublisher, type PublisherState } from '@feed/publisher';
import { createTestVhost, waitFor, type TestVhost } from '../../../test-support/index.js';
import { createBlockingProxy, type BlockingProxy } from './support/blockingProxy.js';
import { readQueue, withChannel } from './support/queueReader.js';

const event = (n: number) => ({
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

// The broker's side of a memory alarm, played by a proxy for this test's connection only (a
// real alarm stalls the whole broker; blocked.serial.test.ts does that, alone).
describe('a blocked connection (P7)', () => {
  let vhost: TestVhost;
  let proxy: BlockingProxy;

  beforeAll(async () => {
    vhost = await createTestVhost('sdk-blocked');
    proxy = await createBlockingProxy();
  });
  afterAll(async () => {
    await proxy.close();
    await vhost.drop();
  });

  it('publishes time out naming the block, the state shows it, close keeps its deadline', async () => {
    const url = `amqp://guest:guest@127.0.0.1:${proxy.port}/${encodeURIComponent(vhost.name)}`;
    const publisher = createFeedPublisher({ url, source: 'sdk-blocked', publishTimeoutMs: 1500 });
    const states: PublisherState[] = [];
    const blockedReasons: string[] = [];
    publisher.on('state', (state) => states.push(state));
    publisher.on('blocked', (reason) => blockedReasons.push(reason));
    await publisher.publish(event(0));

    proxy.block('low on memory');
    await waitFor('the blocked state', () => publisher.state === 'blocked');
    expect(blockedReasons).toEqual(['low on memory']);
    expect(publisher.stats().blockedReason).toBe('low on memory');

    const results = await Promise.allSettled([
      publisher.publish(event(1)),
      publisher.publish(event(2)),
    ]);
    for (const result of results)
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: FeedErrorCode.PublishTimeout,
        message: expect.stringContaining(
          'the broker has blocked the connection (low on memory); it was never sent',
        ),
      });

    // Unblocked, publishing resumes on the same connection.
    proxy.unblock();
    await waitFor('connected again', () => publisher.state === 'connected');
    await publisher.publish(event(3));

    // Blocked again with a message in flight: close() still returns by its deadline.
    proxy.block('low on memory');
    await waitFor('the blocked state', () => publisher.state === 'blocked');
    const stuck = publisher.publish(event(4)).catch((error: Error) => error);
    const started = Date.now();
    await publisher.close({ timeoutMs: 1000 });
    const took = Date.now() - started;
    expect(took).toBeLessThan(5000);
    expect(await stuck).toMatchObject({ code: FeedErrorCode.PublishClosed });
    expect(publisher.state).toBe('closed');
    expect(states).toEqual(['connected', 'blocked', 'connected', 'blocked', 'closing', 'closed']);
    proxy.unblock();
    await waitFor('no connection left', async () => (await vhost.connections()) === 0, {
      timeout: 20_000,
    });

    // Nothing was lost silently: the confirmed ones are in the queue, the rejected ones not.
    const reader = await readQueue(vhost.url);
    try {
      await waitFor('the confirmed events', () => reader.messages.length >= 2);
      const names = reader.messages.map((m) => JSON.parse(m.content.toString()).data.employeeId);
      expect(names).toEqual(['e0', 'e3']);
    } finally {
      await reader.close();
      await withChannel(vhost.url, (channel) => channel.purgeQueue('feed.events'));
    }
  });
});
