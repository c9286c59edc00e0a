import amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FeedErrorCode, topology } from '@feed/contracts';
import { waitFor } from '../../test-support/index.js';
import { DeadLetters, sweepLockQueue, type ParkedMessage } from '../src/index.js';
import { cloudEvent, createParkingBench, query, setPolicy, type ParkingBench } from './support.js';

let bench: ParkingBench;
let dead: DeadLetters;

const refusing = `create function refuse_marked() returns trigger language plpgsql as $$
  begin
    if new.event_id like 'refuse-me-%' then
      raise exception 'event % is on the refusal list', new.event_id using errcode = 'FE001';
    end if;
    return new;
  end $$;
  create trigger refuse_marked before insert on feed_events
    for each row execute function refuse_marked();`;

beforeAll(async () => {
  bench = await createParkingBench('dead-operations');
  // Browsing by requeueing would count a delivery each time: with a limit of 1 the broker
  // would drop a parked message on its second browse.
  await setPolicy(bench.vhost.name, 'dead-delivery-limit', '^feed\\.dead$', {
    'delivery-limit': 1,
  });
  await query(bench.db.url, refusing);
  await bench.startWorker();
  dead = new DeadLetters({ urls: [bench.vhost.url], batchSize: 2 });

  await bench.publishRaw('{"not json', {
    appId: 'alpha',
    messageId: 'm-1',
    headers: { 'x-trace': 't-1' },
  });
  await bench.publishRaw('also not json}', { appId: 'alpha', messageId: 'm-2' });
  await bench.publisher.publish(
    cloudEvent({ source: 'beta', id: 'schema-1', data: { employeeId: 7 } }),
  );
  await bench.publisher.publishMany([
    cloudEvent({ source: 'gamma', id: 'refuse-me-1' }),
    cloudEvent({ source: 'gamma', id: 'refuse-me-2' }),
  ]);
  await waitFor('five messages parked', async () => (await bench.parked()) === 5, {
    timeout: 30_000,
  });
});
afterAll(async () => {
  await bench?.close();
});

const byId = (messages: ParkedMessage[], messageId: string) =>
  messages.find((message) => message.properties.messageId === messageId)!;

it('lists every parked message with its code, browse after browse, under a delivery limit of 1', async () => {
  for (let round = 0; round < 3; round += 1) {
    const listed = await dead.list();
    expect(listed.total).toBe(5);
    expect(listed.byCode).toEqual({
      FEED_ERR_NOT_JSON: 2,
      FEED_ERR_SCHEMA: 1,
      FEED_ERR_REFUSED: 2,
    });
    expect(new Set(listed.messages.map((message) => message.id)).size).toBe(5);
    // Each browse reads fresh copies: none was ever delivered before.
    for (const message of listed.messages)
      expect(message.parkHeaders['x-delivery-count'] ?? 0).toBe(0);
  }
  expect(await bench.parked()).toBe(5);
  expect((await dead.list({ selection: { source: 'gamma' }, limit: 1 })).total).toBe(2);
  const limited = await dead.list({ selection: { code: 'FEED_ERR_NOT_JSON' }, limit: 1 });
  expect([limited.total, limited.messages.length]).toEqual([2, 1]);
});

it('shows one parked message: reason, code, original properties and headers, the body', async () => {
  const { messages } = await dead.list();
  const shown = await dead.show(byId(messages, 'm-1').id);
  expect(shown.code).toBe('FEED_ERR_NOT_JSON');
  expect(shown.reason).not.toBe('');
  expect(shown.properties).toMatchObject({ appId: 'alpha', messageId: 'm-1', deliveryMode: 2 });
  expect(shown.headers).toEqual({ 'x-trace': 't-1' });
  expect(shown.parkHeaders['x-feed-original-routing-key']).toBe(topology.queue);
  expect([shown.bodyPreview, shown.bodyEncoding, shown.bodyBytes]).toEqual([
    '{"not json',
    'utf8',
    10,
  ]);
  await expect(dead.show('no-such-id')).rejects.toMatchObject({
    code: FeedErrorCode.DeadNotFound,
  });
});

it('replays by code once the reason is fixed: the events are stored, the rest stay parked', async () => {
  await query(bench.db.url, 'drop trigger refuse_marked on feed_events');
  const result = await dead.replay({ code: 'FEED_ERR_REFUSED' });
  expect(result).toEqual({ done: 2, kept: 3, duplicates: 0 });
  await waitFor('the replayed events stored', async () => {
    const rows = await query<{ n: number }>(
      bench.db.url,
      `select count(*)::int as n from feed_events where source = 'gamma'`,
    );
    return rows[0]!.n === 2;
  });
  expect(await bench.parked()).toBe(3);
});

it('replays one by id and by source with the original properties (parked again, they say so)', async () => {
  const before = await dead.list();
  const m1 = byId(before.messages, 'm-1');
  expect(await dead.replay({ id: m1.id })).toMatchObject({ done: 1, kept: 2 });
  await waitFor('m-1 parked again', async () => (await bench.parked()) === 3);
  expect(await dead.replay({ source: 'beta' })).toMatchObject({ done: 1, kept: 2 });
  await waitFor('both parked again', async () => (await bench.parked()) === 3);
  const after = await dead.list();
  const again = byId(after.messages, 'm-1');
  expect(again.id).not.toBe(m1.id);
  expect(again.parkHeaders['x-feed-replayed-from']).toBe(m1.id);
  expect(again.properties).toMatchObject({ appId: 'alpha', messageId: 'm-1' });
  expect(again.headers).toEqual({ 'x-trace': 't-1' });
  expect(after.messages.find((message) => message.sources.includes('beta'))?.code).toBe(
    'FEED_ERR_SCHEMA',
  );
  await expect(dead.replay({ id: 'no-such-id' })).rejects.toMatchObject({
    code: FeedErrorCode.DeadNotFound,
  });
});

it('refuses to run beside another operation, naming why', async () => {
  const connection = await amqp.connect(bench.vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(sweepLockQueue, { exclusive: true, autoDelete: true });
    await expect(dead.list()).rejects.toMatchObject({ code: FeedErrorCode.DeadBusy });
  } finally {
    await connection.close();
  }
  expect((await dead.list()).total).toBe(3);
});

it('purges by source, by id and all', async () => {
  expect(await dead.purge({ source: 'alpha' })).toMatchObject({ done: 2, kept: 1 });
  const [left] = (await dead.list()).messages;
  expect(await dead.purge({ id: left!.id })).toMatchObject({ done: 1, kept: 0 });
  expect(await bench.parked()).toBe(0);
  expect(await dead.purge({ all: true })).toEqual({ done: 0, kept: 0, duplicates: 0 });
});

it('removes second copies of one park (a sweep cut between confirm and ack), and only those', async () => {
  const channel = bench.publisher.channel;
  const headers = {
    'x-feed-park-id': 'host:1:abcd:1',
    'x-feed-parked-at': '2026-01-01T00:00:00.000Z',
    'x-feed-error-code': 'FEED_ERR_NOT_JSON',
  };
  channel.sendToQueue(topology.deadLetterQueue, Buffer.from('x'), { headers });
  channel.sendToQueue(topology.deadLetterQueue, Buffer.from('x'), { headers });
  // The same park id on another message (a reused id) is not a copy.
  channel.sendToQueue(topology.deadLetterQueue, Buffer.from('y'), { headers });
  await channel.waitForConfirms();
  const listed = await dead.list();
  expect([listed.total, listed.duplicates]).toEqual([2, 1]);
  expect(await bench.parked()).toBe(2);
  await dead.purge({ all: true });
});

it('replays a message that carried a user_id with the user it connected as (guest here)', async () => {
  await bench.publishRaw('{with user', { messageId: 'u-1', userId: 'guest' });
  await waitFor('parked', async () => (await bench.parked()) === 1);
  const [parked] = (await dead.list()).messages;
  expect(parked!.parkHeaders['x-feed-original-user-id']).toBe('guest');
  await dead.replay({ id: parked!.id });
  // Parked again by the worker: the replayed message it received had user_id guest.
  const again = await waitFor('parked again', async () => {
    const [message] = (await dead.list()).messages;
    return message !== undefined && message.id !== parked!.id ? message : undefined;
  });
  expect(again.parkHeaders).toMatchObject({
    'x-feed-original-user-id': 'guest',
    'x-feed-replayed-from': parked!.id,
  });
  await dead.purge({ all: true });
});
