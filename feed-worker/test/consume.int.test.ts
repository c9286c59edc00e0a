import { getEvent } from '@feed/store';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import {
  cloudEvent,
  countRows,
  createTestPublisher,
  query,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;
let publisher: TestPublisher;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-consume'),
    createTestDatabase('worker_consume'),
  ]);
  worker = await startWorker(testConfig(vhost.url, db.url, { WORKER_BATCH_WAIT_MS: '50' }), {
    queueCheckIntervalMs: 200,
  });
  await waitFor('the worker to be ready', () => worker.isReady());
  publisher = await createTestPublisher(vhost.url);
});
afterAll(async () => {
  await publisher?.close();
  await worker?.stop();
  await vhost?.drop();
  await db?.drop();
});

const metric = async () => {
  const text = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
  return text;
};

interface Row {
  source: string;
  event_id: string;
  type: string;
  time: Date;
  subject: string | null;
  actor: string | null;
  data: unknown;
}
const row = async (source: string, id: string) =>
  (
    await query<Row>(
      db.url,
      'select source, event_id, type, time, subject, actor, data from feed_events where source = $1 and event_id = $2',
      [source, id],
    )
  )[0];

describe('consume → store → ack', () => {
  it('stores a structured CloudEvent with its fields', async () => {
    const event = cloudEvent({ subject: 'emp-x', time: '2026-02-03T04:05:06.789Z' });
    await publisher.publish(event);
    const stored = await waitFor('the row', () => row('worker-test', event.id as string));
    expect(stored).toMatchObject({
      source: 'worker-test',
      event_id: event.id,
      type: 'employee.registered',
      subject: 'emp-x',
      actor: null,
      data: event.data,
    });
    expect(stored.time.toISOString()).toBe('2026-02-03T04:05:06.789Z');
  });

  it('stores each event of an array body', async () => {
    const events = [
      cloudEvent(),
      cloudEvent({ type: 'kudos.given', data: { to: 'bob' } }),
      cloudEvent(),
    ];
    await publisher.publish(events, { routingKey: 'batch' });
    for (const event of events)
      await waitFor(`row ${String(event.id)}`, () => row('worker-test', event.id as string));
    expect((await row('worker-test', events[1]!.id as string))!.data).toEqual({ to: 'bob' });
  });

  it('fills attributes from AMQP properties (a plain publisher on the default exchange)', async () => {
    const data = { departmentId: 'd-1', from: 'Ops', to: 'Platform' };
    await publisher.publishRaw(Buffer.from(JSON.stringify(data)), {
      contentType: 'application/json',
      messageId: 'props-1',
      appId: 'python-hr',
      type: 'department.renamed',
      timestamp: 1_767_225_600, // 2026-01-01T00:00:00Z, seconds
    });
    const stored = await waitFor('the row', () => row('python-hr', 'props-1'));
    expect(stored).toMatchObject({ type: 'department.renamed', data });
    expect(stored.time.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    // Array items get `message_id:<index>`.
    await publisher.publishRaw(Buffer.from(JSON.stringify([data, data])), {
      messageId: 'props-2',
      appId: 'python-hr',
      type: 'department.renamed',
    });
    await waitFor('both items', () => row('python-hr', 'props-2:1'));
    expect(await row('python-hr', 'props-2:0')).toBeDefined();
  });

  it('stores a redelivered or republished event once and counts the duplicate', async () => {
    const event = cloudEvent();
    await publisher.publish(event);
    await publisher.publish(event);
    await publisher.publish({ ...event, data: { ...(event.data as object), name: 'changed' } });
    const marker = cloudEvent();
    await publisher.publish(marker);
    await waitFor('the marker', () => row('worker-test', marker.id as string));
    const rows = await query(db.url, 'select 1 from feed_events where event_id = $1', [event.id]);
    expect(rows).toHaveLength(1);
    expect(await metric()).toMatch(/feed_worker_events_duplicate_total [1-9]/);
    const duplicates = /feed_worker_events_duplicate_total (\d+)/.exec(await metric())![1];
    expect(Number(duplicates)).toBe(2);
  });

  it('applies reactions, including one that arrives before its event', async () => {
    const target = cloudEvent();
    const reaction = (actor: string, type = 'reaction.added') =>
      cloudEvent({
        type,
        subject: undefined,
        data: { target: { source: 'worker-test', id: target.id }, reaction: 'like', actor },
      });
    // The reaction first: kept, and counted when the event arrives.
    await publisher.publish(reaction('ann'));
    await waitFor(
      'the early reaction',
      async () =>
        (await query(db.url, 'select 1 from feed_reactions where actor = $1', ['ann'])).length ===
        1,
    );
    await publisher.publish(target);
    await publisher.publish(reaction('bob'));
    await publisher.publish(reaction('cid'));
    await publisher.publish(reaction('cid', 'reaction.removed'));
    // Read the way readers read them.
    await waitFor('the counters', async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const [stored] = await getEvent(client, { source: 'worker-test', id: target.id as string });
        return stored?.reactions.like === 2;
      } finally {
        await client.end();
      }
    });
  });

  it('parks invalid messages with their reason and stores their neighbours in the same batch', async () => {
    const before = await countRows(db.url);
    const good = [cloudEvent(), cloudEvent(), cloudEvent()];
    const schemaFailure = cloudEvent({ data: { employeeId: 'e' } });
    const nul = cloudEvent({ type: 'note.written', data: { text: 'a\u0000b' } });
    // One burst: the worker gathers them into one batch (50 ms wait).
    publisher.channel.publish('feed', 'x', Buffer.from(JSON.stringify(good[0])), {
      persistent: true,
      messageId: 'not-json-1',
    });
    publisher.channel.sendToQueue('feed.events', Buffer.from('{not json'), {
      persistent: true,
      messageId: 'not-json',
      appId: 'broken-app',
      headers: { 'x-trace': 't-1' },
    });
    publisher.channel.publish(
      'feed',
      'employee.registered',
      Buffer.from(JSON.stringify(schemaFailure)),
      {
        persistent: true,
      },
    );
    publisher.channel.publish('feed', 'x', Buffer.from(JSON.stringify(good[1])), {
      persistent: true,
    });
    publisher.channel.publish('feed', 'note.written', Buffer.from(JSON.stringify(nul)), {
      persistent: true,
      messageId: 'nul-1',
    });
    publisher.channel.publish('feed', 'x', Buffer.from(JSON.stringify(good[2])), {
      persistent: true,
    });
    await publisher.channel.waitForConfirms();

    await waitFor('the good ones', async () => (await countRows(db.url)) === before + 3);
    const dead = await waitFor('three parked', async () => {
      const received = await worker.metrics.parked.get();
      const total = received.values.reduce((sum, v) => sum + v.value, 0);
      return total >= 3 ? await publisher.deadLetters() : false;
    });
    expect(dead).toHaveLength(3);
    const byCode = Object.fromEntries(
      dead.map((m) => [String(m.properties.headers!['x-feed-error-code']), m]),
    );
    expect(Object.keys(byCode).sort()).toEqual([
      'FEED_ERR_NOT_JSON',
      'FEED_ERR_REFUSED',
      'FEED_ERR_SCHEMA',
    ]);
    const notJson = byCode.FEED_ERR_NOT_JSON!;
    expect(notJson.content.toString()).toBe('{not json');
    expect(notJson.properties).toMatchObject({ messageId: 'not-json', appId: 'broken-app' });
    expect(notJson.properties.headers).toMatchObject({
      'x-trace': 't-1',
      'x-feed-original-exchange': '',
      'x-feed-original-routing-key': 'feed.events',
    });
    expect(String(notJson.properties.headers!['x-feed-error'])).toMatch(/^body is not JSON/);
    expect(String(notJson.properties.headers!['x-feed-worker'])).toMatch(/:\d+$/);
    expect(Date.parse(String(notJson.properties.headers!['x-feed-parked-at']))).not.toBeNaN();
    expect(String(byCode.FEED_ERR_SCHEMA!.properties.headers!['x-feed-error'])).toMatch(
      /data of employee\.registered does not match its schema/,
    );
    const refused = byCode.FEED_ERR_REFUSED!;
    expect(String(refused.properties.headers!['x-feed-error'])).toMatch(/SQLSTATE 22P05/);
    expect(JSON.parse(refused.content.toString())).toEqual(nul);
    expect(refused.properties.headers!['x-feed-original-routing-key']).toBe('note.written');
    // Everything was acked: nothing left in the queue, nothing unacked.
    await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
    const parked = (await metric()).match(/feed_worker_messages_parked_total\{code="[A-Z_]+"\} 1/g);
    expect(parked).toHaveLength(3);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    const base = `http://127.0.0.1:${worker.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    const text = await metric();
    for (const name of [
      'feed_worker_messages_received_total',
      'feed_worker_events_stored_total',
      'feed_worker_batch_size_bucket',
      'feed_worker_batch_duration_seconds_bucket',
      'feed_worker_reconnects_total',
      'feed_worker_consumer_lag_messages',
    ])
      expect(text).toContain(name);
  });
});
