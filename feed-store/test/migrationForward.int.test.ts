import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createPool,
  decodeCursor,
  getEvent,
  listEvents,
  listFeedAfter,
  migrate,
  migrations,
  storeEvents,
  type Pool,
} from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('store-forward');
  pool = createPool({ connectionString: db.url, max: 2 });
  // A database as the release before concurrent writes left it: migrations 001 and 002 only.
  await pool.query(
    'drop table feed_events, feed_reactions, feed_reaction_counts, feed_changes, feed_org_snapshots, feed_migrations; drop function feed_visible_horizon; drop sequence feed_reaction_versions',
  );
  await migrate(pool, migrations.slice(0, 2));
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** A cursor as that release handed it out: `s<seq>`, base64url. */
const legacyCursor = (seq: string) => Buffer.from(`s${seq}`).toString('base64url');

it('migrates forward: nothing lost or reordered, old cursors keep working, counters carried over', async () => {
  // Rows as that release stored them (seq in commit order, counters on the row).
  await pool.query(
    `insert into feed_events (source, event_id, type, time, data, reactions)
     select 'old', 'o-' || g, 'kudos.given', '2026-01-01T00:00:00Z', '{}',
            case when g = 3 then '{"fire": 1}'::jsonb else '{}'::jsonb end
       from generate_series(1, 10) g`,
  );
  await pool.query(
    `insert into feed_reactions (target_source, target_id, actor, reaction, active, changed_at)
     values ('old', 'o-3', 'p-1', 'fire', true, now())`,
  );
  const { rows } = await pool.query<{ seq: string }>(
    `select seq::text from feed_events where event_id = 'o-6'`,
  );
  const handedOut = legacyCursor(rows[0]!.seq);

  expect((await migrate(pool)).applied).toEqual(migrations.slice(2).map((m) => m.name));

  // The old cursor pages on from where it was handed out, in the old order.
  const page = await listEvents(pool, { limit: 10, before: decodeCursor(handedOut)! });
  expect(page.map((e) => e.id)).toEqual(['o-5', 'o-4', 'o-3', 'o-2', 'o-1']);
  // Counters carried over; new events come after every old one.
  expect((await getEvent(pool, { source: 'old', id: 'o-3' }))[0]!.reactions).toEqual({ fire: 1 });
  await storeEvents(pool, [
    {
      specversion: '1.0',
      id: 'n-1',
      source: 'new',
      type: 'kudos.given',
      time: '2026-02-01T00:00:00.000Z',
      data: {},
    },
  ]);
  const head = await listEvents(pool, { limit: 3 });
  expect(head.map((e) => e.id)).toEqual(['n-1', 'o-10', 'o-9']);
  // A stream resumed with an old Last-Event-ID gets what follows it, then the new event.
  const after = await listFeedAfter(pool, {
    after: decodeCursor(legacyCursor(rows[0]!.seq))!,
    limit: 10,
  });
  expect(after.map((item) => (item.kind === 'event' ? item.event.id : item.kind))).toEqual([
    'o-7',
    'o-8',
    'o-9',
    'o-10',
    'n-1',
  ]);
});
