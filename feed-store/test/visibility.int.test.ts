import type { FeedEvent } from '@feed/contracts';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  beginFeedWrite,
  comparePositions,
  createPool,
  feedStart,
  insertEvents,
  itemPosition,
  listEvents,
  readFeedAfter,
  readFeedPagesAfter,
  readVisibility,
  storeEvents,
  type Pool,
  type Position,
  type StoredEvent,
} from '@feed/store';
import {
  createTestDatabase,
  databaseUrl,
  waitFor,
  type TestDatabase,
} from '../../test-support/index.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('store-visibility');
  pool = createPool({ connectionString: db.url, max: 24 });
  // A row whose data names `holdMs` keeps its statement running that long once the row has
  // its transaction id (the column's default is computed before BEFORE triggers run), one that
  // names `waitLock` until that advisory lock is free: a batch stored in one statement by
  // storeEvents then stays open as a held transaction does.
  await pool.query(`
    create function visibility_hold_row() returns trigger language plpgsql as $$
    begin
      if new.data ? 'holdMs' then perform pg_sleep((new.data->>'holdMs')::numeric / 1000); end if;
      if new.data ? 'waitLock' then perform pg_advisory_xact_lock((new.data->>'waitLock')::bigint); end if;
      return new;
    end $$;
    create trigger visibility_hold_row before insert on feed_events
      for each row execute function visibility_hold_row();`);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

let counter = 0;
const event = (run: number): FeedEvent => {
  counter += 1;
  return {
    specversion: '1.0',
    id: `v-${run}-${counter}`,
    source: `visibility-${run}`,
    type: 'kudos.given',
    time: '2026-01-01T00:00:00.000Z',
    data: {},
  };
};

const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const key = (e: StoredEvent) => e.id;
const positionOf = (e: StoredEvent): Position => ({ xid: e.xid, seq: e.seq });

interface Transaction {
  size: number;
  /** How long it stays open after its insert, ms: commits land in a random order. */
  holdMs: number;
  commit: boolean;
  /** Stored as the worker stores a batch of events: storeEvents, one statement (it commits). */
  oneStatement: boolean;
}

/** One writer's transactions, one after another, as a worker's batches are. */
async function write(run: number, transactions: Transaction[], committed: Set<string>) {
  for (const tx of transactions) {
    if (tx.oneStatement) {
      const events = Array.from({ length: tx.size }, () => event(run));
      events[0] = { ...events[0]!, data: { holdMs: tx.holdMs } };
      await storeEvents(pool, events);
      for (const e of events) committed.add(e.id);
      continue;
    }
    const client = await pool.connect();
    try {
      await client.query('begin');
      await beginFeedWrite(client);
      const events = Array.from({ length: tx.size }, () => event(run));
      await insertEvents(client, events);
      await hold(tx.holdMs);
      if (tx.commit) {
        await client.query('commit');
        for (const e of events) committed.add(e.id);
      } else await client.query('rollback');
    } finally {
      client.release();
    }
  }
}

/** A replica's live feed, as the service reads it: from its last position, below the horizon. */
async function stream(source: string, done: () => boolean): Promise<StoredEvent[]> {
  const seen: StoredEvent[] = [];
  let position: Position = feedStart;
  for (;;) {
    const finished = done();
    // The live feed's look: the horizon and the first page in one statement, further pages
    // below that horizon.
    let held = false;
    for await (const page of readFeedPagesAfter(pool, { after: position, limit: 50, source })) {
      held = page.visibility.held;
      seen.push(...page.items.flatMap((item) => (item.kind === 'event' ? [item.event] : [])));
      if (page.items.length > 0) position = itemPosition(page.items.at(-1)!);
    }
    // Done once the writers are and nothing holds the horizon: a transaction elsewhere that
    // ends while a horizon is computed holds it for that look only.
    if (finished && !held) return seen;
    await hold(5);
  }
}

/** Cursor walks from the head down, again and again while the writers write. */
async function walks(source: string, done: () => boolean): Promise<StoredEvent[][]> {
  const all: StoredEvent[][] = [];
  while (!done()) {
    const walk: StoredEvent[] = [];
    let before: Position | undefined;
    for (;;) {
      const page = await listEvents(pool, { limit: 7, source, before });
      walk.push(...page);
      if (page.length < 7) break;
      before = positionOf(page.at(-1)!);
    }
    all.push(walk);
  }
  return all;
}

it('many writers committing in random order: every reader sees every committed event exactly once, in one order', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.array(
          fc.record({
            size: fc.integer({ min: 1, max: 30 }),
            holdMs: fc.integer({ min: 0, max: 120 }),
            commit: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
            oneStatement: fc.boolean(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        { minLength: 2, maxLength: 6 },
      ),
      async (writers) => {
        run += 1;
        const source = `visibility-${run}`;
        const committed = new Set<string>();
        let writing = true;
        const done = () => !writing;
        const readers = Promise.all([
          stream(source, done),
          stream(source, done),
          walks(source, done),
        ]);
        await Promise.all(writers.map((transactions) => write(run, transactions, committed)));
        writing = false;
        const [replicaA, replicaB, cursorWalks] = await readers;

        const everything = [...committed].sort();
        for (const replica of [replicaA, replicaB]) {
          // Exactly once each, nothing rolled back, in ascending position.
          expect(replica.map(key).sort()).toEqual(everything);
          for (let i = 1; i < replica.length; i += 1)
            expect(comparePositions(positionOf(replica[i - 1]!), positionOf(replica[i]!))).toBe(-1);
        }
        // One order that every replica agrees on.
        expect(replicaB.map(key)).toEqual(replicaA.map(key));
        const order = new Map(replicaA.map((e, i) => [e.id, i]));
        for (const walk of cursorWalks) {
          expect(new Set(walk.map(key)).size).toBe(walk.length);
          for (const e of walk) expect(committed.has(e.id)).toBe(true);
          // A walk that started at some event saw every event before it in the order: none
          // could appear below a visible one later.
          if (walk.length > 0) {
            const start = order.get(walk[0]!.id)!;
            expect(walk.map(key)).toEqual(
              replicaA
                .slice(0, start + 1)
                .map(key)
                .reverse(),
            );
          }
        }
      },
    ),
    { numRuns: 6 },
  );
});

it('an idle transaction holding a transaction id in another database does not hold the feed back', async () => {
  const elsewhere = new pg.Client({ connectionString: databaseUrl('postgres') });
  await elsewhere.connect();
  try {
    await elsewhere.query('begin');
    await elsewhere.query('select pg_current_xact_id()');
    // …and one in the feed's own database that writes nothing of the feed.
    const sameDatabase = await pool.connect();
    try {
      await sameDatabase.query('begin');
      await sameDatabase.query('select pg_current_xact_id()');
      const client = await pool.connect();
      const e = event(0);
      try {
        await client.query('begin');
        await beginFeedWrite(client);
        await insertEvents(client, [e]);
        await client.query('commit');
      } finally {
        client.release();
      }
      // Visible within the second the feed promises, while both still sit idle (in practice
      // at the first read; a transaction of another test that ends while a horizon is
      // computed holds it for that read only).
      await waitFor(
        'the event visible and the horizon free',
        async () =>
          (await listEvents(pool, { limit: 1, source: e.source })).map(key)[0] === e.id &&
          !(await readVisibility(pool)).held,
        { timeout: 1000, interval: 5 },
      );
    } finally {
      await sameDatabase.query('rollback');
      sameDatabase.release();
    }
  } finally {
    await elsewhere.query('rollback');
    await elsewhere.end();
  }
});

it('a transaction writing the feed holds back what comes after it until it ends, and no longer', async () => {
  const slow = await pool.connect();
  const first = event(1000);
  const second = event(1000);
  try {
    await slow.query('begin');
    await beginFeedWrite(slow);
    await insertEvents(slow, [first]);
    const fast = await pool.connect();
    try {
      await fast.query('begin');
      await beginFeedWrite(fast);
      await insertEvents(fast, [second]);
      await fast.query('commit');
    } finally {
      fast.release();
    }
    // Committed, but after a transaction still open: not visible yet, the horizon is held.
    expect(await listEvents(pool, { limit: 10, source: second.source })).toEqual([]);
    expect((await readVisibility(pool)).held).toBe(true);
    const look = await readFeedAfter(pool, { after: feedStart, limit: 10, source: second.source });
    expect(look).toMatchObject({ items: [], visibility: { held: true } });
    await slow.query('commit');
  } finally {
    slow.release();
  }
  await waitFor(
    'both visible',
    async () => (await listEvents(pool, { limit: 10, source: first.source })).length === 2,
  );
  expect((await listEvents(pool, { limit: 10, source: first.source })).map(key)).toEqual([
    second.id,
    first.id,
  ]);
});

it('a batch stored in one statement by storeEvents holds back what comes after it until it commits', async () => {
  const gate = new pg.Client({ connectionString: db.url });
  await gate.connect();
  const slow = { ...event(2000), data: { waitLock: 4242 } };
  const fast = event(2000);
  let slowStore: Promise<unknown> | undefined;
  try {
    await gate.query('select pg_advisory_lock(4242)');
    slowStore = storeEvents(pool, [slow]);
    await waitFor('the slow batch to wait with its transaction id', async () => {
      const { rows } = await pool.query(
        `select 1 from pg_stat_activity
          where datname = current_database() and wait_event = 'advisory'
            and backend_xid is not null`,
      );
      return rows.length === 1;
    });
    await storeEvents(pool, [fast]);
    // Committed, but after a statement still running: not visible yet, the horizon is held.
    expect(await listEvents(pool, { limit: 10, source: fast.source })).toEqual([]);
    expect((await readVisibility(pool)).held).toBe(true);
  } finally {
    await gate.query('select pg_advisory_unlock(4242)');
    await gate.end();
  }
  await slowStore;
  await waitFor(
    'both visible',
    async () => (await listEvents(pool, { limit: 10, source: fast.source })).length === 2,
  );
  expect((await listEvents(pool, { limit: 10, source: fast.source })).map(key)).toEqual([
    fast.id,
    slow.id,
  ]);
});
