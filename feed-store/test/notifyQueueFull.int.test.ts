import type { FeedEvent } from '@feed/contracts';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPool, storeEvents, type Pool } from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';

// A NOTIFY queue that is full fails pg_notify with SQLSTATE 54000 (program_limit_exceeded),
// which for any other statement would say the rows' data is refused. Filling the real queue
// takes 8 GB and a listener that stops reading; this database shadows pg_notify instead (its
// search path puts `public` before `pg_catalog`) with one that fails the same way.
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('notify_full');
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    await admin.query(`
      create function public.pg_notify(channel text, payload text) returns void
      language plpgsql as $$
      begin
        raise exception 'too many notifications in the NOTIFY queue' using errcode = '54000';
      end
      $$`);
    await admin.query(`alter database ${db.name} set search_path = public, pg_catalog`);
  } finally {
    await admin.end();
  }
  pool = createPool({ connectionString: db.url, max: 3 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const events = (n: number): FeedEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    specversion: '1.0',
    id: `full-${i}`,
    source: 'notify-full-test',
    type: 'kudos.given',
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    data: { n: i },
  }));

it('stores a batch of events when the NOTIFY queue is full, and refuses none of it', async () => {
  const { rows: shadowed } = await pool.query<{ fails: boolean }>(
    `select exists (select from pg_proc where proname = 'pg_notify' and pronamespace = 'public'::regnamespace) as fails`,
  );
  expect(shadowed[0]!.fails).toBe(true);

  const result = await storeEvents(pool, events(5));
  expect(result).toEqual({ stored: 5, duplicates: 0, reactions: 0, snapshots: 0 });
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from feed_events where source = 'notify-full-test'`,
  );
  expect(rows[0]!.n).toBe(5);
  // Stored again: the repeats are found, nothing is told, nothing fails.
  expect(await storeEvents(pool, events(5))).toEqual({
    stored: 0,
    duplicates: 5,
    reactions: 0,
    snapshots: 0,
  });
});
