import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FeedEvent } from '@feed/contracts';
import {
  createFeedPublisher,
  enqueue,
  migrateOutbox,
  startOutboxRelay,
  type FeedPublisher,
  type OutboxRelay,
  type PublishInput,
} from '@feed/publisher';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../../test-support/index.js';
import { readQueue, withChannel, type QueueReader } from './support/queueReader.js';

const registered = (n: number): PublishInput => ({
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

describe('transactional outbox and relay', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pool: pg.Pool;
  const publishers: FeedPublisher[] = [];
  const relays: OutboxRelay[] = [];
  const pools: pg.Pool[] = [];
  let reader: QueueReader;

  const newPool = (applicationName = 'outbox-test') => {
    const created = new pg.Pool({
      connectionString: db.url,
      max: 4,
      application_name: applicationName,
    });
    created.on('error', () => {});
    pools.push(created);
    return created;
  };
  const newPublisher = () => {
    const publisher = createFeedPublisher({ url: vhost.url, source: 'outbox-test' });
    publishers.push(publisher);
    return publisher;
  };
  const pending = async () =>
    Number(
      (
        await pool.query<{ n: string }>(
          'select count(*) as n from feed_outbox where sent_at is null',
        )
      ).rows[0]!.n,
    );

  /** One transaction of the service: its own write plus the events, committed or not. */
  async function transaction(
    events: PublishInput[],
    source: string,
    commit: boolean,
  ): Promise<FeedEvent[]> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const enqueued = await enqueue(client, events, { source });
      await client.query(commit ? 'commit' : 'rollback');
      return enqueued;
    } finally {
      client.release();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('sdk-outbox');
    vhost = await createTestVhost('sdk-outbox');
  });
  beforeEach(async () => {
    pool = newPool();
    await migrateOutbox(pool);
    await migrateOutbox(pool); // idempotent
    await pool.query('truncate feed_outbox');
    reader = await readQueue(vhost.url);
  });
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.stop();
    for (const publisher of publishers.splice(0)) await publisher.close({ timeoutMs: 5000 });
    await reader.close();
    for (const p of pools.splice(0)) await p.end();
    await withChannel(vhost.url, (channel) => channel.purgeQueue('feed.events'));
  });
  afterAll(async () => {
    await vhost.drop();
    await db.drop();
  });

  it('committed rows reach the queue exactly once, in order per source, with two relays; rolled back never', async () => {
    for (let i = 0; i < 2; i++)
      relays.push(
        startOutboxRelay({
          pool: newPool(),
          publisher: newPublisher(),
          batchSize: 7,
          pollIntervalMs: 100,
        }),
      );
    const committed: FeedEvent[] = [];
    const rolledBack: FeedEvent[] = [];
    for (let t = 0; t < 60; t++) {
      const events = Array.from({ length: 5 }, (_, i) => registered(t * 5 + i));
      const commit = t % 4 !== 3;
      const enqueued = await transaction(events, `source-${t % 3}`, commit);
      (commit ? committed : rolledBack).push(...enqueued);
    }
    await waitFor('nothing pending', async () => (await pending()) === 0, { timeout: 30_000 });
    await waitFor('all committed events', () => reader.messages.length >= committed.length, {
      timeout: 30_000,
    });

    const ids = reader.ids();
    expect(ids).toHaveLength(committed.length);
    expect(new Set(ids)).toEqual(new Set(committed.map((e) => e.id)));
    const rolledBackIds = new Set(rolledBack.map((e) => e.id));
    expect(ids.filter((id) => rolledBackIds.has(id))).toEqual([]);
    for (const source of ['source-0', 'source-1', 'source-2'])
      expect(ids.filter((_, i) => reader.messages[i]!.properties.appId === source)).toEqual(
        committed.filter((e) => e.source === source).map((e) => e.id),
      );
    expect(relays[0]!.stats().sent + relays[1]!.stats().sent).toBe(committed.length);
  });

  it('a relay killed after the confirm and before its commit: the rows go out again, counted exactly', async () => {
    const committed: FeedEvent[] = [];
    for (let t = 0; t < 10; t++)
      committed.push(...(await transaction([registered(t), registered(t + 100)], 'svc', true)));

    const real = newPublisher();
    const killerPool = newPool('outbox-killer');
    const confirmedByDead: string[] = [];
    let dead = false;
    const dying = {
      async publish(input: PublishInput) {
        if (dead) throw new Error('the relay process is gone');
        const sent = await real.publish(input);
        confirmedByDead.push(sent[0]!.id);
        if (!dead) {
          dead = true;
          // The process dies: its connections end, its transaction never commits.
          await killerPool.query(
            `select pg_terminate_backend(pid) from pg_stat_activity
             where datname = $1 and application_name = 'relay-dying'`,
            [db.name],
          );
        }
        return sent;
      },
    };
    const dyingRelay = startOutboxRelay({
      pool: newPool('relay-dying'),
      publisher: dying,
      batchSize: 8,
      pollIntervalMs: 60_000,
      retryMinMs: 50,
    });
    relays.push(dyingRelay);
    await waitFor('the dying relay to fail its batch', () => dyingRelay.stats().failedBatches >= 1);
    await dyingRelay.stop();
    expect(confirmedByDead.length).toBeGreaterThan(0);
    expect(await pending()).toBe(committed.length);

    relays.push(
      startOutboxRelay({ pool: newPool(), publisher: newPublisher(), pollIntervalMs: 100 }),
    );
    await waitFor('nothing pending', async () => (await pending()) === 0, { timeout: 30_000 });
    const expected = committed.length + confirmedByDead.length;
    await waitFor('every copy', () => reader.messages.length >= expected);
    const counts = new Map<string, number>();
    for (const id of reader.ids()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(reader.ids()).toHaveLength(expected);
    for (const event of committed)
      expect(counts.get(event.id)).toBe(confirmedByDead.includes(event.id) ? 2 : 1);
  });

  it('NOTIFY wakes the relay at commit, with polling practically off', async () => {
    const relay = startOutboxRelay({
      pool: newPool(),
      publisher: newPublisher(),
      pollIntervalMs: 600_000,
    });
    relays.push(relay);
    // Listening before the commit: wait until the relay's LISTEN has completed (its connection
    // idle after it; while the statement still runs, a commit's NOTIFY can come before it).
    await waitFor('the relay listening', async () => {
      const { rows } = await pool.query(
        `select 1 from pg_stat_activity
          where datname = $1 and query = 'listen feed_outbox' and state = 'idle'`,
        [db.name],
      );
      return rows.length === 1;
    });
    const [rolledBack] = await transaction([registered(1)], 'svc', false);
    const [event] = await transaction([registered(2)], 'svc', true);
    await waitFor('the committed event', () => reader.ids().includes(event!.id));
    expect(reader.ids()).not.toContain(rolledBack!.id);
    expect(reader.ids()).toEqual([event!.id]);
  });

  it('enqueue validates like publish and needs a source', async () => {
    await expect(
      transaction([{ type: 'employee.registered', data: {} }], 'svc', true),
    ).rejects.toMatchObject({
      code: 'FEED_PUBLISH_INVALID',
    });
    const client = await pool.connect();
    try {
      await expect(enqueue(client, registered(1))).rejects.toThrow(/every event needs a source/);
    } finally {
      client.release();
    }
    expect(await pending()).toBe(0);
  });
});
