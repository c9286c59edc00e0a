import type { FeedEvent } from '@feed/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FEED_EVENTS_CHANNEL,
  applyReactions,
  beginFeedWrite,
  createPool,
  decodeCursor,
  encodeCursor,
  erasePerson,
  getEvent,
  hideEvent,
  insertEvents,
  listEvents,
  listChangesAfter,
  listEventsAfter,
  listFeedAfter,
  listPageJson,
  migrate,
  migrations,
  readFeedAfter,
  storeEvents,
  withTransaction,
  type Pool,
  type Position,
} from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { cursorSql } from '../src/cursor.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('store');
  pool = createPool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

let counter = 0;
function event(overrides: Partial<FeedEvent> = {}): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `e-${counter}`,
    source: 'store-test',
    type: 'kudos.given',
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString(),
    data: { n: counter },
    ...overrides,
  };
}

const store = (events: FeedEvent[]) =>
  withTransaction(pool, async (client) => {
    await beginFeedWrite(client);
    return insertEvents(client, events);
  });

describe('insertEvents', () => {
  it('stores a batch once: the second insert reports zero new rows', async () => {
    const batch = [event(), event(), event()];
    expect(await store(batch)).toBe(3);
    expect(await store(batch)).toBe(0);
    const { rows } = await pool.query(
      'select count(*)::int as n from feed_events where event_id = any($1)',
      [batch.map((e) => e.id)],
    );
    expect(rows[0].n).toBe(3);
  });

  it('stores each event once when the batch repeats it', async () => {
    const a = event();
    const b = event();
    expect(await store([a, b, a, { ...b }, a])).toBe(2);
    expect((await getEvent(pool, { id: a.id, source: a.source })).length).toBe(1);
    expect((await getEvent(pool, { id: b.id, source: b.source })).length).toBe(1);
  });

  it('tells the same id from two sources apart', async () => {
    const a = event({ id: 'shared-id', source: 'one' });
    const b = event({ id: 'shared-id', source: 'two' });
    expect(await store([a, b])).toBe(2);
    expect((await getEvent(pool, { id: 'shared-id' })).map((e) => e.source).sort()).toEqual([
      'one',
      'two',
    ]);
    expect((await getEvent(pool, { id: 'shared-id', source: 'two' })).length).toBe(1);
  });

  it('assigns seq in batch order and keeps the fields', async () => {
    const a = event({ subject: 'e-1', actor: 'hr', data: { name: 'Олег 🔥' } });
    const b = event();
    expect(await store([a, b])).toBe(2);
    const [stored] = await getEvent(pool, { id: a.id, source: a.source });
    const [next] = await getEvent(pool, { id: b.id, source: b.source });
    expect(next!.xid).toBe(stored!.xid);
    expect(BigInt(next!.seq)).toBe(BigInt(stored!.seq) + 1n);
    expect(stored).toMatchObject({
      id: a.id,
      source: a.source,
      type: a.type,
      time: a.time,
      subject: 'e-1',
      actor: 'hr',
      data: { name: 'Олег 🔥' },
      reactions: {},
    });
  });

  it('storeEvents notifies feed_events with the commit, and not for duplicates', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (n) => payloads.push(n.payload ?? ''));
    await listener.query(`listen ${FEED_EVENTS_CHANNEL}`);
    try {
      const batch = [event(), event()];
      await storeEvents(pool, batch);
      await waitFor('a notification', () => payloads.length === 1);
      expect(payloads[0]).toBe('changed');
      await storeEvents(pool, batch);
      await storeEvents(pool, [event()]);
      await waitFor('a second notification', () => payloads.length === 2);
    } finally {
      await listener.end();
    }
  });
});

describe('listEvents and listEventsAfter', () => {
  it('walks the feed newest first with a keyset cursor, with no gap and no duplicate', async () => {
    const source = 'walk';
    const batch = Array.from({ length: 25 }, () => event({ source }));
    await store(batch);
    // The top is read at the current horizon, which a transaction of another test ending at
    // that moment holds back for that read only; below a cursor every event is final.
    const newest = batch.at(-1)!.id;
    const seen: string[] = [];
    let before: Position | undefined;
    for (;;) {
      const page =
        before === undefined
          ? await waitFor('the first page', async () => {
              const top = await listEvents(pool, { limit: 7, source });
              return top[0]?.id === newest && top;
            })
          : await listEvents(pool, { limit: 7, source, before });
      seen.push(...page.map((e) => e.id));
      if (page.length < 7) break;
      before = decodeCursor(encodeCursor(page.at(-1)!))!;
      // Inserted while walking: newer than every page, so it never shows up below.
      await store([event({ source })]);
    }
    expect(seen).toEqual(batch.map((e) => e.id).reverse());
  });

  it('filters by type, source, actor, subject and time range', async () => {
    const source = 'filters';
    const a = event({
      source,
      type: 'employee.registered',
      subject: 'p-1',
      time: '2026-05-01T00:00:00.000Z',
    });
    const b = event({
      source,
      type: 'department.renamed',
      actor: 'p-2',
      time: '2026-05-02T00:00:00.000Z',
    });
    const c = event({
      source,
      type: 'team.structure_changed',
      subject: 'p-1',
      time: '2026-05-03T00:00:00.000Z',
    });
    await store([a, b, c]);
    const ids = async (filter: Parameters<typeof listEvents>[1]) =>
      (await listEvents(pool, { source, ...filter })).map((e) => e.id);
    expect(await ids({ limit: 10, types: ['employee.registered'] })).toEqual([a.id]);
    expect(await ids({ limit: 10, types: ['employee.registered', 'department.renamed'] })).toEqual([
      b.id,
      a.id,
    ]);
    expect(await ids({ limit: 10, actor: 'p-2' })).toEqual([b.id]);
    expect(await ids({ limit: 10, subject: 'p-1' })).toEqual([c.id, a.id]);
    expect(
      await ids({ limit: 10, since: '2026-05-02T00:00:00Z', until: '2026-05-03T00:00:00Z' }),
    ).toEqual([b.id]);
  });

  it('lists what was stored after a position, oldest first', async () => {
    const source = 'after';
    const earliest = event({ source });
    await store([earliest]);
    const [first] = await getEvent(pool, earliest);
    const later = [event({ source }), event({ source })];
    await store(later);
    // Read at the current horizon: a transaction of another test ending at that moment holds
    // it back for that read only.
    const after = await waitFor('both later events visible', async () => {
      const found = await listEventsAfter(pool, { after: first!, limit: 10, source });
      return found.length === later.length && found;
    });
    expect(after.map((e) => e.id)).toEqual(later.map((e) => e.id));
  });
});

describe('the order of positions', () => {
  it('is numeric: transaction 10 comes after 9 in every read, events and changes', async () => {
    const source = 'digits';
    // Positions whose transaction ids differ in length: as text, '10' sorts before '9'.
    await pool.query(
      `insert into feed_events (xid, source, event_id, type, time, data)
       values ('9', $1, 'd-9', 'kudos.given', now(), '{}'), ('10', $1, 'd-10', 'kudos.given', now(), '{}')`,
      [source],
    );
    await pool.query(
      `insert into feed_changes (xid, kind, target_source, target_id, counts, type, time)
       values ('9', 'reactions', $1, 'd-9', '{"like":1}', 'kudos.given', now()),
              ('10', 'reactions', $1, 'd-10', '{"like":1}', 'kudos.given', now())`,
      [source],
    );
    const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);
    expect(ids(await listEvents(pool, { source, limit: 10 }))).toEqual(['d-10', 'd-9']);
    const page = await listPageJson(pool, { source, limit: 10 });
    expect(ids(JSON.parse(page.items) as { id: string }[])).toEqual(['d-10', 'd-9']);
    const start = { xid: '0', seq: '0' };
    expect(ids(await listEventsAfter(pool, { source, after: start, limit: 10 }))).toEqual([
      'd-9',
      'd-10',
    ]);
    const items = await listFeedAfter(pool, { source, after: start, limit: 10 });
    expect(
      items.map((item) => `${item.kind}:${item.kind === 'event' ? item.event.id : item.id}`),
    ).toEqual(['event:d-9', 'reactions:d-9', 'event:d-10', 'reactions:d-10']);
    // The one statement reads what the separate reads of events and changes read, field for
    // field (its times are built by PostgreSQL, theirs by toISOString).
    const events = await listEventsAfter(pool, { source, after: start, limit: 10 });
    const changes = await listChangesAfter(pool, { source, after: start, limit: 10 });
    expect(items).toEqual([
      { kind: 'event', event: events[0] },
      changes[0],
      { kind: 'event', event: events[1] },
      changes[1],
    ]);
    // A live reader's look, horizon and items in one statement, reads the same items.
    const look = await readFeedAfter(pool, { source, after: start, limit: 10 });
    expect(look.items).toEqual(items);
    expect(look.visibility.held).toBe(false);
    expect(look.visibility.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // Cut at the limit, it stops where the merge of both lists is complete.
    const cut = await readFeedAfter(pool, { source, after: start, limit: 3 });
    expect(cut.items).toEqual(items.slice(0, 3));
  });
});

describe('listPageJson', () => {
  it('gives the pages listEvents gives, as JSON built by PostgreSQL, cursors included', async () => {
    const source = 'page-json';
    await store([
      event({ source, subject: 'p-1', actor: 'p-2', data: { text: 'ünïcode "quoted"' } }),
      ...Array.from({ length: 6 }, () => event({ source, type: 'employee.registered' })),
    ]);
    const { rows } = await pool.query<Position>(
      `select xid::text, seq::text from feed_events order by xid desc, seq desc limit 1`,
    );
    const newest = rows[0]!;
    for (const options of [
      { source, limit: 3 },
      { source, limit: 3, before: newest },
      { source, limit: 10, types: ['employee.registered'] },
      { source, limit: 10 },
    ]) {
      const page = await listPageJson(pool, options);
      const expected = await listEvents(pool, { ...options, limit: options.limit + 1 });
      const shown = expected.slice(0, options.limit);
      // Every field of the stored event but its seq and storing time, and its cursor.
      expect(JSON.parse(page.items)).toEqual(
        shown.map(({ xid, seq, storedAt: _storedAt, ...fields }) => ({
          ...fields,
          cursor: encodeCursor({ xid, seq }),
        })),
      );
      const last = shown.at(-1)!;
      expect(page.next).toEqual(
        expected.length > options.limit ? { xid: last.xid, seq: last.seq } : null,
      );
    }
  });
});

describe('cursors', () => {
  it('are the same computed by PostgreSQL (cursorSql) and by encodeCursor', async () => {
    // Every length a transaction id (64 bits, unsigned) and a seq (a bigint) can have.
    const xids = ['0', '1', '4294967296', '18446744073709551615'];
    const seqs = ['1', '9', '10', '12345', '2147483648', '9007199254740993', '9223372036854775807'];
    for (let digits = 1; digits <= 19; digits += 1) seqs.push('7'.repeat(digits));
    for (let digits = 1; digits <= 20; digits += 1) xids.push('1'.repeat(digits));
    const pairs = xids.flatMap((xid) => seqs.map((seq) => ({ xid, seq })));
    const { rows } = await pool.query<{ xid: string; seq: string; cursor: string }>(
      `select xid::text, seq::text, ${cursorSql('xid', 'seq')} as cursor
         from unnest($1::xid8[], $2::bigint[]) as t(xid, seq)`,
      [pairs.map((p) => p.xid), pairs.map((p) => p.seq)],
    );
    expect(rows.map((row) => [row.xid, row.seq, row.cursor])).toEqual(
      pairs.map((p) => [p.xid, p.seq, encodeCursor(p)]),
    );
  });

  it('round-trip; a cursor of before concurrent writes names (0, seq); anything else decodes to null', () => {
    expect(decodeCursor(encodeCursor({ xid: '987654', seq: '12345' }))).toEqual({
      xid: '987654',
      seq: '12345',
    });
    expect(decodeCursor(Buffer.from('s12345').toString('base64url'))).toEqual({
      xid: '0',
      seq: '12345',
    });
    for (const bad of [
      '',
      'abc',
      '!!!',
      encodeCursor({ xid: '1', seq: '0' }),
      Buffer.from('s0').toString('base64url'),
      Buffer.from('s99999999999999999999').toString('base64url'),
      Buffer.from('p18446744073709551616.1').toString('base64url'),
      Buffer.from('p01.1').toString('base64url'),
      'x'.repeat(100),
    ])
      expect(decodeCursor(bad)).toBeNull();
  });
});

describe('reactions', () => {
  const reaction = (
    type: 'reaction.added' | 'reaction.removed',
    target: FeedEvent,
    actor: string,
    kind: string,
    time: string,
  ) =>
    event({
      type,
      source: 'reactions',
      time,
      data: { target: { source: target.source, id: target.id }, reaction: kind, actor },
    });

  it('counts reactions, and a reaction that arrives before its event is applied when the event arrives', async () => {
    const target = event();
    const early = reaction('reaction.added', target, 'p-1', 'fire', '2026-06-01T00:00:00.000Z');
    await withTransaction(pool, (client) => applyReactions(client, [early]));
    // The counters are the target's, whether the event is stored yet or not.
    await store([target]);
    expect((await getEvent(pool, target))[0]!.reactions).toEqual({ fire: 1 });
    const more = [
      reaction('reaction.added', target, 'p-2', 'fire', '2026-06-01T00:00:01.000Z'),
      reaction('reaction.added', target, 'p-2', 'like', '2026-06-01T00:00:02.000Z'),
    ];
    await withTransaction(pool, (client) => applyReactions(client, more));
    await withTransaction(pool, (client) => applyReactions(client, more)); // redelivered
    expect((await getEvent(pool, target))[0]!.reactions).toEqual({ fire: 2, like: 1 });
  });

  it('latest by event time wins, whatever the arrival order', async () => {
    const target = event();
    await store([target]);
    const removed = reaction('reaction.removed', target, 'p-1', 'like', '2026-06-01T00:00:05.000Z');
    const added = reaction('reaction.added', target, 'p-1', 'like', '2026-06-01T00:00:01.000Z');
    await withTransaction(pool, (client) => applyReactions(client, [removed]));
    await withTransaction(pool, (client) => applyReactions(client, [added]));
    expect((await getEvent(pool, target))[0]!.reactions).toEqual({});
    const again = reaction('reaction.added', target, 'p-1', 'like', '2026-06-01T00:00:09.000Z');
    await withTransaction(pool, (client) => applyReactions(client, [again]));
    expect((await getEvent(pool, target))[0]!.reactions).toEqual({ like: 1 });
  });
});

describe('hideEvent and erasePerson', () => {
  it('hides an event from lists while a redelivery stays absorbed', async () => {
    const e = event({ source: 'hide' });
    await store([e]);
    expect(await hideEvent(pool, e)).toBe(1);
    expect(await listEvents(pool, { limit: 10, source: 'hide' })).toEqual([]);
    expect(await store([e])).toBe(0);
  });

  it('erases a person as actor and subject, and their reactions', async () => {
    const target = event({ source: 'erase' });
    const about = event({ source: 'erase', subject: 'p-erase' });
    await store([target, about]);
    await withTransaction(pool, (client) =>
      applyReactions(client, [
        event({
          type: 'reaction.added',
          source: 'reactions',
          data: { target: { source: 'erase', id: target.id }, reaction: 'like', actor: 'p-erase' },
        }),
      ]),
    );
    expect((await getEvent(pool, target))[0]!.reactions).toEqual({ like: 1 });
    expect(await withTransaction(pool, (client) => erasePerson(client, 'p-erase'))).toEqual({
      events: 1,
      reactions: 1,
    });
    expect((await getEvent(pool, target))[0]!.reactions).toEqual({});
    expect((await listEvents(pool, { limit: 10, source: 'erase' })).map((e) => e.id)).toEqual([
      target.id,
    ]);
    const { rows } = await pool.query('select data, subject from feed_events where event_id = $1', [
      about.id,
    ]);
    expect(rows[0]).toEqual({ data: null, subject: null });
  });
});

describe('createPool and withTransaction', () => {
  it('a connection killed inside a transaction rejects it, and the process lives on', async () => {
    const errors: Error[] = [];
    const own = createPool({ connectionString: db.url, max: 1, onError: (e) => errors.push(e) });
    try {
      await expect(
        withTransaction(own, async (client) => {
          const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
          await pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          // Without a listener on the checked-out client this 'error' would end the process.
          await waitFor('the client to hear its connection end', () => errors.length > 0);
          await client.query('select 1');
        }),
      ).rejects.toThrow();
      expect(errors[0]!.message).toMatch(/terminat/i);
      // The pool replaced the broken client.
      expect((await own.query('select 1 as ok')).rows[0].ok).toBe(1);
    } finally {
      await own.end();
    }
  });
});

describe('migrate', () => {
  it('is a no-op when run again', async () => {
    expect(await migrate(pool)).toEqual({ applied: [] });
  });

  it('two migrators at once on a fresh database: one applies, one waits and finds nothing', async () => {
    const fresh = await createTestDatabase('fresh');
    const admin = createPool({ connectionString: fresh.url, max: 1 });
    await admin.query(
      'drop table feed_events, feed_reactions, feed_reaction_counts, feed_changes, feed_org_snapshots, feed_migrations; drop function feed_visible_horizon; drop sequence feed_reaction_versions',
    );
    await admin.end();
    const pools = [
      createPool({ connectionString: fresh.url, max: 1 }),
      createPool({ connectionString: fresh.url, max: 1 }),
    ];
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, migrations.length]);
      const { rows } = await pools[0]!.query('select count(*)::int as n from feed_migrations');
      expect(rows[0].n).toBe(migrations.length);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await fresh.drop();
    }
  });
});
