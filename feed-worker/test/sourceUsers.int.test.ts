import amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { topology } from '@feed/contracts';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import { cloudEvent, createTestPublisher, testConfig, type TestPublisher } from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let readers: FeedReaders;
let worker: WorkerHandle;
let connection: amqp.ChannelModel;
let channel: amqp.ConfirmChannel;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-source-users'),
    createTestDatabase('worker_source_users'),
  ]);
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
  // The test vhost's user is guest: it may publish as registrar only.
  worker = await startWorker(
    testConfig(vhost.url, db.url, { WORKER_SOURCE_USERS: 'guest=registrar' }),
  );
  await waitFor('the worker to be ready', () => worker.isReady());
  connection = await amqp.connect(vhost.url);
  channel = await connection.createConfirmChannel();
});
afterAll(async () => {
  await channel?.close();
  await connection?.close();
  await worker?.stop();
  await readers?.close();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

/** Plain amqplib, as any publisher would send it, with or without the user_id property. */
async function send(body: unknown, userId?: string) {
  channel.sendToQueue(topology.queue, Buffer.from(JSON.stringify(body)), {
    persistent: true,
    contentType: 'application/json',
    ...(userId === undefined ? {} : { userId }),
  });
  await channel.waitForConfirms();
}

it('stores what a broker user sends as its own source, and parks what it sends as another, or without user_id, with FEED_ERR_SOURCE_FORBIDDEN', async () => {
  const seen = await readers.watch('registrar');
  const own = cloudEvent({ source: 'registrar' });
  const other = cloudEvent({ source: 'payroll' });
  const unsigned = cloudEvent({ source: 'registrar' });
  await send(own, 'guest');
  await send(other, 'guest');
  await send(unsigned);

  const dead = await waitFor('both refused messages parked', async () => {
    const letters = [...(await publisher.deadLetters())];
    return letters.length >= 2 ? letters : false;
  });
  const parked = dead.map((message) => ({
    id: JSON.parse(message.content.toString()).id,
    code: String(message.properties.headers!['x-feed-error-code']),
    reason: String(message.properties.headers!['x-feed-error']),
  }));
  // Parks run apart from each other: in either order, exactly these two.
  expect(parked).toHaveLength(2);
  expect(parked).toEqual(
    expect.arrayContaining([
      {
        id: other.id,
        code: 'FEED_ERR_SOURCE_FORBIDDEN',
        reason:
          'event 0: user "guest" may publish as registrar, not "payroll" (WORKER_SOURCE_USERS)',
      },
      {
        id: unsigned.id,
        code: 'FEED_ERR_SOURCE_FORBIDDEN',
        reason:
          "no user_id property: WORKER_SOURCE_USERS binds sources to broker users, so set user_id to the connection's user",
      },
    ]),
  );
  await seen.expectEachOnce([own.id as string]);
});
