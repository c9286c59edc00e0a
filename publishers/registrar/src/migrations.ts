import { outboxMigrationSql } from '@feed/publisher';
import type pg from 'pg';

export interface Migration {
  name: string;
  sql: string;
}

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
];

/** Serializes replicas starting at once: the second waits, then finds nothing to do. */
const MIGRATION_LOCK = 7_201_201;

/** Applies pending migrations in order, in one transaction. Idempotent. */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `create table if not exists registrar_migrations (
         name text primary key,
         applied_at timestamptz not null default now()
       )`,
    );
    const { rows } = await client.query<{ name: string }>('select name from registrar_migrations');
    const done = new Set(rows.map((row) => row.name));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await client.query(migration.sql);
      await client.query('insert into registrar_migrations (name) values ($1)', [migration.name]);
      applied.push(migration.name);
    }
    await client.query('commit');
    return applied;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
