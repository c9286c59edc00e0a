import type pg from 'pg';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

/** Serializes migrators across processes: a second one waits, then finds nothing to do. */
const MIGRATION_LOCK = 7_201_001;

export interface MigrateResult {
  applied: string[];
}

/**
 * Applies the pending migrations in order, in one transaction, under an advisory lock.
 * Running it again, or in several processes at once, is a no-op.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[] = allMigrations,
): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `create table if not exists feed_migrations (
         name text primary key,
         applied_at timestamptz not null default now()
       )`,
    );
    const { rows } = await client.query<{ name: string }>('select name from feed_migrations');
    const done = new Set(rows.map((row) => row.name));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await client.query(migration.sql);
      await client.query('insert into feed_migrations (name) values ($1)', [migration.name]);
      applied.push(migration.name);
    }
    await client.query('commit');
    return { applied };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
