import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { FeedErrorCode, isFeedError, type FeedEvent } from '@feed/contracts';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import {
  createTestVhost,
  rabbitmqctl,
  waitFor,
  type TestVhost,
} from '../../../test-support/index.js';
import { readQueue, withChannel } from './support/queueReader.js';

// The broker nacks for real here: a policy caps feed.events and makes it refuse (basic.nack)
// what does not fit, as a quorum queue refuses while it has no leader. The queue is classic:
// a quorum queue applies the cap only approximately, and these tests count exactly.
let vhost: TestVhost;
let publisher: FeedPublisher | undefined;

const queuePolicy = async () =>
  (await rabbitmqctl('list_queues', '-q', '--no-table-headers', '-p', vhost.name, 'name', 'policy'))
    .split('\n')
    .find((line) => line.startsWith('feed.events'))
    ?.split('\t')[1]
    ?.trim() ?? '';
const capQueue = async (max: number) => {
  await rabbitmqctl(
    'set_policy',
    '-p',
    vhost.name,
    '--apply-to',
    'queues',
    'cap',
    '^feed\\.events$',
    JSON.stringify({ 'max-length': max, overflow: 'reject-publish' }),
  );
  await waitFor('the cap in force on feed.events', async () => (await queuePolicy()) === 'cap');
};
const uncap = async () => {
  await rabbitmqctl('clear_policy', '-p', vhost.name, 'cap');
  await waitFor('no cap on feed.events', async () => (await queuePolicy()) === '');
};
const event = (n: number) => ({
  id: `nack-${n}`,
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});
const outcomes = (sends: Array<Promise<FeedEvent[]>>) =>
  Promise.allSettled(sends).then((results) =>
    results.map((r) =>
      r.status === 'fulfilled' ? 'confirmed' : (r.reason as { code: string }).code,
    ),
  );

beforeAll(async () => {
  vhost = await createTestVhost('sdk-nack-retry');
  await (await readQueue(vhost.url, 'classic')).close();
});
afterEach(async () => {
  await publisher?.close({ timeoutMs: 2000 });
  publisher = undefined;
  await uncap();
  await withChannel(vhost.url, (channel) => channel.purgeQueue('feed.events'));
});
afterAll(async () => {
  await vhost?.drop();
});

it('a nacked publish is sent again with the same message_id until the broker takes it; stats count the retries', async () => {
  await capQueue(5);
  publisher = createFeedPublisher({
    url: vhost.url,
    source: 'sdk-nack',
    queueType: 'classic',
    publishTimeoutMs: 30_000,
  });
  const sends = Array.from({ length: 10 }, (_, n) => publisher!.publish(event(n)));
  await waitFor('nacked publishes being retried', () => publisher!.stats().retried >= 5);
  expect(publisher.stats()).toMatchObject({ confirmed: 5, rejected: 0 });
  // Room in the queue: the retries go in.
  const reader = await readQueue(vhost.url, 'classic');
  try {
    expect(await outcomes(sends)).toEqual(Array(10).fill('confirmed'));
    await waitFor('10 in the queue', () => reader.messages.length === 10);
    expect(reader.ids().sort()).toEqual(Array.from({ length: 10 }, (_, n) => `nack-${n}`).sort());
    expect(publisher.stats()).toMatchObject({ confirmed: 10, rejected: 0, buffered: 0 });
  } finally {
    await reader.close();
  }
});

it('a publish the broker keeps nacking rejects with FEED_PUBLISH_NACKED, naming the retries, within its deadline', async () => {
  await capQueue(0);
  publisher = createFeedPublisher({
    url: vhost.url,
    source: 'sdk-nack',
    queueType: 'classic',
    publishTimeoutMs: 3000,
  });
  const error = await publisher.publish(event(100)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFeedError(error) ? error.code : error).toSatisfy(
    (code) => code === FeedErrorCode.PublishNacked || code === FeedErrorCode.PublishTimeout,
  );
  // Which code depends on whether the deadline found it nacked or sent again; either way
  // the reason names the nacks.
  expect((error as Error).message).toMatch(/refused (event nack-100|it) \d+ times \(basic\.nack\)/);
  expect(publisher.stats().retried).toBeGreaterThanOrEqual(1);
  expect(publisher.stats()).toMatchObject({ confirmed: 0, rejected: 1, buffered: 0 });
});

it('a full buffer while the broker answers: publishes wait for room instead of FEED_PUBLISH_BUFFER_FULL', async () => {
  await capQueue(3);
  publisher = createFeedPublisher({
    url: vhost.url,
    source: 'sdk-nack',
    queueType: 'classic',
    maxBuffered: 4,
    publishTimeoutMs: 30_000,
  });
  await publisher.publish(event(200));
  const sends = Array.from({ length: 8 }, (_, n) => publisher!.publish(event(201 + n)));
  // 4 held (the cap lets 2 in, 2 are nacked and retried), 4 wait for room: as many as
  // maxBuffered may wait, and one more would be refused at once.
  await waitFor('publishes waiting for room', () => publisher!.stats().waitingForRoom === 4);
  await expect(publisher.publish(event(300))).rejects.toMatchObject({
    code: FeedErrorCode.PublishBufferFull,
  });
  expect(publisher.stats()).toMatchObject({ buffered: 4, rejected: 0 });
  const reader = await readQueue(vhost.url, 'classic');
  try {
    expect(await outcomes(sends)).toEqual(Array(8).fill('confirmed'));
    await waitFor('9 in the queue', () => reader.messages.length === 9);
    expect(new Set(reader.ids()).size).toBe(9);
    expect(publisher.stats()).toMatchObject({ waitingForRoom: 0, rejected: 0 });
  } finally {
    await reader.close();
  }
});
