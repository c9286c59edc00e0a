import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  createFeedPublisher,
  enqueue,
  listSetAsideOutboxRows,
  migrateOutbox,
  outboxMigrationSql,
  retryOutboxRows,
  startOutboxRelay,
  withTransaction,
  type FeedPublisher,
  type OutboxRelay,
  type PublishInput,
} from '@feed/publisher';
import {
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TcpProxy,
  type TestDatabase,
  type TestVhost,
} from '../../../test-support/index.js';
import { readQueue, withChannel, type QueueReader } from './support/queueReader.js';

const registered = (n: number): PublishInput => ({
  id: `row-${n}`,
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

let db: TestDatabase;
let vhost: TestVhost;
let pool: pg.Pool;
let reader: QueueReader;
let proxy: TcpProxy;
const stops: Array<() => Promise<void>> = [];
const errors: Array<Record<string, unknown>> = [];
const logger = {
  debug() {},
  info() {},
  warn() {},
  error(object: object, message?: string) {
    errors.push({ ...object, msg: message });
  },
};

function relayWith(publisher: FeedPublisher): OutboxRelay {
  const relay = startOutboxRelay({
    pool,
    publisher,
    pollIntervalMs: 50,
    retryMinMs: 10,
    retryMaxMs: 40,
    logger,
  });
  stops.push(() => relay.stop());
  return relay;
}
function publisherVia(url: string, publishTimeoutMs = 10_000): FeedPublisher {
  const publisher = createFeedPublisher({ url, source: 'set-aside', publishTimeoutMs });
  stops.push(() => publisher.close({ timeoutMs: 2000 }));
  return publisher;
}
const rowOf = async (eventId: string) =>
  (
    await pool.query<{
      id: string;
      attempts: number;
      permanent_failures: number;
      set_aside_at: Date | null;
      set_aside_reason: string | null;
      sent_at: Date | null;
    }>('select id::text, * from feed_outbox where event_id = $1', [eventId])
  ).rows[0]!;

beforeAll(async () => {
  [db, vhost] = await Promise.all([
    createTestDatabase('sdk-outbox-set-aside'),
    createTestVhost('sdk-outbox-set-aside'),
  ]);
  proxy = await createTcpProxy(Number(new URL(vhost.url).port || 5672));
});
beforeEach(async () => {
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {});
  await pool.query('drop table if exists feed_outbox, feed_outbox_migrations');
  reader = await readQueue(vhost.url);
  errors.length = 0;
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await reader.close();
  await pool.end();
  await withChannel(vhost.url, (channel) => channel.purgeQueue('feed.events'));
});
afterAll(async () => {
  await proxy?.close();
  await vhost?.drop();
  await db?.drop();
});

it('migrates a table of the release before: pending rows stay pending, each migration runs once', async () => {
  await pool.query(outboxMigrationSql);
  await withTransaction(pool, (client) => enqueue(client, registered(0), { source: 'old' }));
  expect(await migrateOutbox(pool)).toEqual(['001_feed_outbox', '002_feed_outbox_set_aside']);
  expect(await migrateOutbox(pool)).toEqual([]);
  relayWith(publisherVia(vhost.url));
  await waitFor('the old row sent', () => reader.ids().includes('row-0'));
});

it('a row that can never be published is set aside after 3 tries, with its reason; the rows after it go on; an operator retries it', async () => {
  await migrateOutbox(pool);
  await withTransaction(pool, (client) => enqueue(client, registered(1), { source: 'hr' }));
  // A row another release wrote, with an event this one refuses to publish.
  await pool.query(
    `update feed_outbox set event = jsonb_set(event, '{type}', '"Not a type!"') where event_id = 'row-1'`,
  );
  const relay = relayWith(publisherVia(vhost.url));
  await waitFor('a first failure', async () => (await rowOf('row-1')).attempts >= 1);
  // While it is retried, its source waits for it; once it is set aside, the rows go on.
  await withTransaction(pool, (client) =>
    enqueue(client, [registered(2), registered(3)], { source: 'hr' }),
  );
  // (They may also go out in one batch with one of its retries: within a batch, each row is
  // published on its own.)
  await waitFor('the rows after it sent', () => reader.ids().length === 2);
  await waitFor('the row set aside', async () => (await rowOf('row-1')).set_aside_at !== null);
  expect(reader.ids()).toEqual(['row-2', 'row-3']);

  const row = await rowOf('row-1');
  expect(row).toMatchObject({ permanent_failures: 3, attempts: 3, sent_at: null });
  expect(row.set_aside_at).not.toBeNull();
  expect(row.set_aside_reason).toMatch(/type/);
  await waitFor('the set-aside row counted', () => relay.stats().setAsideWaiting === 1);
  expect(relay.stats().setAside).toBe(1);
  expect(errors).toEqual([
    expect.objectContaining({ outboxId: row.id, source: 'hr', eventId: 'row-1' }),
  ]);
  const listed = await listSetAsideOutboxRows(pool);
  expect(listed).toMatchObject({ count: 1, rows: [{ eventId: 'row-1', source: 'hr' }] });

  // Fixed, and put back by an operator: it goes out.
  await pool.query(
    `update feed_outbox set event = jsonb_set(event, '{type}', '"employee.registered"') where event_id = 'row-1'`,
  );
  expect(await retryOutboxRows(pool, { ids: [row.id] })).toBe(1);
  await waitFor('the retried row sent', () => reader.ids().includes('row-1'));
  expect((await rowOf('row-1')).sent_at).not.toBeNull();
  expect(await retryOutboxRows(pool, { all: true })).toBe(0);
});

it('a broker outage sets nothing aside, however many attempts it costs', async () => {
  await migrateOutbox(pool);
  proxy.down();
  const relay = relayWith(
    publisherVia(
      `amqp://guest:guest@127.0.0.1:${proxy.port}/${encodeURIComponent(vhost.name)}`,
      100,
    ),
  );
  await withTransaction(pool, (client) =>
    enqueue(client, [registered(4), registered(5)], { source: 'hr' }),
  );
  await waitFor('many failed attempts', async () => (await rowOf('row-4')).attempts >= 6, {
    timeout: 30_000,
  });
  const row = await rowOf('row-4');
  expect([row.set_aside_at, row.permanent_failures]).toEqual([null, 0]);
  proxy.up();
  await waitFor('both sent once the broker is back', () => reader.ids().length === 2, {
    timeout: 30_000,
  });
  expect(reader.ids()).toEqual(['row-4', 'row-5']);
  expect(relay.stats().setAside).toBe(0);
  expect(errors).toEqual([]);
});
