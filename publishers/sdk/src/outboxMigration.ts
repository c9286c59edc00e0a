import { applyMigrations, type Migration } from '@feed/contracts';
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

/**
 * Rows that can never be published are set aside: `set_aside_at` and the reason, after
 * `permanent_failures` reached the relay's bound. A set-aside row is no longer pending, so the
 * later rows of its source overtake it; an operator retries it (retryOutboxRows). Idempotent.
 */
export const outboxSetAsideMigrationSql = `
alter table feed_outbox add column if not exists permanent_failures integer not null default 0;
alter table feed_outbox add column if not exists set_aside_at timestamptz;
alter table feed_outbox add column if not exists set_aside_reason text;
drop index if exists feed_outbox_pending;
create index if not exists feed_outbox_waiting on feed_outbox (source, id)
  where sent_at is null and set_aside_at is null;
create index if not exists feed_outbox_set_aside on feed_outbox (set_aside_at)
  where set_aside_at is not null;
`;

/** The outbox's migrations, in order: append to your own list, or let migrateOutbox run them. */
export const outboxMigrations: readonly Migration[] = [
  { name: '001_feed_outbox', sql: outboxMigrationSql },
  { name: '002_feed_outbox_set_aside', sql: outboxSetAsideMigrationSql },
];

/** Serializes concurrent migrations of replicas starting at once. */
const OUTBOX_MIGRATION_LOCK = 7_201_101;

/**
 * Applies the outbox's migrations not yet recorded in `feed_outbox_migrations`, in one
 * transaction under an advisory lock; safe in several processes at once. A table created by
 * an earlier release (before the migrations were recorded) is taken as it is: each migration
 * only adds what is missing.
 */
export async function migrateOutbox(pool: pg.Pool): Promise<string[]> {
  assertPgObject(pool, 'migrateOutbox(pool)', 'a pg Pool');
  return applyMigrations(pool, {
    table: 'feed_outbox_migrations',
    lock: OUTBOX_MIGRATION_LOCK,
    migrations: outboxMigrations,
  });
}
