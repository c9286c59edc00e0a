import {
  applyMigrations,
  outboxMigrationSql,
  outboxSetAsideMigrationSql,
  type Migration,
} from '@feed/publisher';
import type pg from 'pg';

/** The registrar's own database: its employees, and the outbox its events leave through. */
export const migrations: readonly Migration[] = [
  {
    name: '001_employees',
    sql: `
      create table employees (
        id uuid primary key default gen_random_uuid(),
        name text not null,
        team text not null,
        position text not null,
        department text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`,
  },
  { name: '002_feed_outbox', sql: outboxMigrationSql },
  { name: '003_feed_outbox_set_aside', sql: outboxSetAsideMigrationSql },
];

/** Serializes replicas starting at once: the second waits, then finds nothing to do. */
const MIGRATION_LOCK = 7_201_201;

/** Applies pending migrations in order, in one transaction. Idempotent. */
export function migrate(pool: pg.Pool): Promise<string[]> {
  return applyMigrations(pool, { table: 'registrar_migrations', lock: MIGRATION_LOCK, migrations });
}
