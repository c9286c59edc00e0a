import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FeedErrorCode } from '@feed/contracts';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import { createTestVhost, waitFor, type TestVhost } from '../../../test-support/index.js';
import { readQueue, withChannel, type QueueReader } from './support/queueReader.js';

const registered = (n: number) => ({
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

describe('publish against a real broker', () => {
  let vhost: TestVhost;
  let publisher: FeedPublisher;
  let reader: QueueReader | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('sdk-publish');
  });
  afterEach(async () => {
    await publisher?.close({ timeoutMs: 5000 });
    await reader?.close();
    reader = undefined;
    // Each test reads only its own messages.
    await withChannel(vhost.url, (channel) => channel.purgeQueue('feed.events'));
  });
  afterAll(async () => {
    await vhost.drop();
  });

  it('resolves after the confirm, with the message in the queue as the wire contract says', async () => {
    publisher = createFeedPublisher({ url: vhost.url, source: 'sdk-test' });
    const [event] = await publisher.publish(registered(1));
    expect(publisher.state).toBe('connected');
    reader = await readQueue(vhost.url);
    const [message] = await waitFor(
      'the message',
      () => reader!.messages.length === 1 && reader!.messages,
    );
    expect(message!.fields.routingKey).toBe('employee.registered');
    expect(message!.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/cloudevents+json',
      messageId: event!.id,
      appId: 'sdk-test',
      type: 'employee.registered',
      timestamp: Math.floor(Date.parse(event!.time) / 1000),
    });
    expect(JSON.parse(message!.content.toString())).toMatchObject({
      specversion: '1.0',
      id: event!.id,
      source: 'sdk-test',
      data: registered(1).data,
    });
  });

  it('publishes an array as one message per event and many concurrently, all confirmed', async () => {
    publisher = createFeedPublisher({ url: vhost.url, source: 'sdk-test' });
    reader = await readQueue(vhost.url);
    const batch = await publisher.publish([registered(1), registered(2), registered(3)]);
    const singles = await Promise.all(
      Array.from({ length: 500 }, (_, i) => publisher.publish(registered(i))),
    );
    const ids = [...batch, ...singles.flat()].map((e) => e.id);
    await waitFor('all 503 messages', () => reader!.messages.length >= 503);
    expect(reader.ids()).toEqual(ids);
    expect(publisher.stats()).toMatchObject({ buffered: 0, confirmed: 503, rejected: 0 });
  });

  it('rejects an invalid event before anything is sent', async () => {
    publisher = createFeedPublisher({ url: vhost.url, source: 'sdk-test' });
    reader = await readQueue(vhost.url);
    await expect(
      publisher.publish([registered(1), { type: 'employee.registered', data: { name: 'no id' } }]),
    ).rejects.toMatchObject({
      code: FeedErrorCode.PublishInvalid,
      message: expect.stringMatching(/^event 1 is invalid \(FEED_ERR_SCHEMA\)/),
    });
    const [valid] = await publisher.publish(registered(10));
    await waitFor('the valid message', () => reader!.ids().includes(valid!.id));
    expect(reader.ids()).toEqual([valid!.id]);
    expect(publisher.stats()).toMatchObject({ published: 1 });
  });

  it('rejects an unroutable message (mandatory) instead of resolving', async () => {
    publisher = createFeedPublisher({ url: vhost.url, source: 'sdk-test' });
    await publisher.publish(registered(1));
    await withChannel(vhost.url, (channel) => channel.unbindQueue('feed.events', 'feed', '#'));
    try {
      await expect(publisher.publish(registered(2))).rejects.toMatchObject({
        code: FeedErrorCode.PublishUnroutable,
        message: expect.stringContaining(
          "no queue is bound to exchange 'feed' for routing key 'employee.registered'",
        ),
      });
    } finally {
      await withChannel(vhost.url, (channel) => channel.bindQueue('feed.events', 'feed', '#'));
    }
    await publisher.publish(registered(3));
  });

  it('rejects a publish to a missing exchange and recreates the channel the broker closed', async () => {
    publisher = createFeedPublisher({
      url: vhost.url,
      source: 'sdk-test',
      exchange: 'no-such-exchange',
    });
    await expect(publisher.publish(registered(1))).rejects.toMatchObject({
      code: FeedErrorCode.PublishUnroutable,
      message: expect.stringContaining("no exchange 'no-such-exchange'"),
    });
    // The channel was replaced: the next publish gets its own answer, not a dead channel.
    await expect(publisher.publish(registered(2))).rejects.toMatchObject({
      code: FeedErrorCode.PublishUnroutable,
    });
    await publisher.close();

    // The feed exchange deleted under a running publisher: that publish rejects, the new
    // channel declares the topology again, and the next one is confirmed.
    publisher = createFeedPublisher({ url: vhost.url, source: 'sdk-test' });
    await publisher.publish(registered(3));
    await withChannel(vhost.url, (channel) => channel.deleteExchange('feed'));
    await expect(publisher.publish(registered(4))).rejects.toMatchObject({
      code: FeedErrorCode.PublishUnroutable,
    });
    await waitFor('the channel back', () => publisher.state === 'connected');
    reader = await readQueue(vhost.url);
    const [event] = await publisher.publish(registered(5));
    await waitFor('the message', () => reader!.ids().includes(event!.id));
  });

  it('refuses publishes after close and settles everything in flight', async () => {
    publisher = createFeedPublisher({ url: vhost.url, source: 'sdk-test' });
    const sends = Array.from({ length: 200 }, (_, i) => publisher.publish(registered(i)));
    await publisher.close();
    const results = await Promise.allSettled(sends);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(publisher.state).toBe('closed');
    await expect(publisher.publish(registered(1))).rejects.toMatchObject({
      code: FeedErrorCode.PublishClosed,
    });
  });
});
