import type pg from 'pg';
import { assertPgObject } from './pgArgument.js';

/** NOTIFY channel `enqueue` signals on, inside the caller's transaction (so: at its commit). */
export const OUTBOX_CHANNEL = 'feed_outbox';

/**
 * The outbox table in the service's own database. A row is one event; `sent_at` is set in
 * the same transaction that locked the row, once the broker confirmed it. Idempotent.
 */
export const outboxMigrationSql = `
create table if not exists feed_outbox (
  id bigint generated always as identity primary key,
  source text not null,
  event_id text not null,
  type text not null,
  event jsonb not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  sent_at timestamptz
);
-- The relay reads the oldest pending row of each source: pending rows only, by source, in order.
create index if not exists feed_outbox_pending on feed_outbox (source, id) where sent_at is null;
create index if not exists feed_outbox_sent on feed_outbox (sent_at) where sent_at is not null;
`;

/** Serializes concurrent migrations of replicas starting at once. */
const OUTBOX_MIGRATION_LOCK = 7_201_101;

/** Creates the outbox table and its indexes if missing; safe in several processes at once. */
export async function migrateOutbox(pool: pg.Pool): Promise<void> {
  assertPgObject(pool, 'migrateOutbox(pool)', 'a pg Pool');
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [OUTBOX_MIGRATION_LOCK]);
    await client.query(outboxMigrationSql);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
