import type pg from 'pg';
import { withTransaction } from './withTransaction.js';

export interface Migration {
  name: string;
  sql: string;
}

export interface MigrationSet {
  /** The table recording which migrations ran; created if missing. */
  table: string;
  /** The advisory lock key serializing the migrators of this database. */
  lock: number;
  /** Applied in this order, each once; a new migration is appended, never edited. */
  migrations: readonly Migration[];
}

/**
 * Applies the migrations `table` does not record yet, in order, in one transaction, under an
 * advisory lock: a second migrator (another replica starting at once) waits, then finds
 * nothing to do. Returns the names it applied.
 */
export async function applyMigrations(pool: pg.Pool, set: MigrationSet): Promise<string[]> {
  // The table name is spliced into the SQL: only a plain identifier is accepted.
  if (!/^[a-z_][a-z0-9_]*$/.test(set.table))
    throw new Error(`migration table ${JSON.stringify(set.table)} is not a plain identifier`);
  return withTransaction(pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [set.lock]);
    await client.query(
      `create table if not exists ${set.table} (
         name text primary key,
         applied_at timestamptz not null default now()
       )`,
    );
    const { rows } = await client.query<{ name: string }>(`select name from ${set.table}`);
    const done = new Set(rows.map((row) => row.name));
    const applied: string[] = [];
    for (const migration of set.migrations) {
      if (done.has(migration.name)) continue;
      await client.query(migration.sql);
      await client.query(`insert into ${set.table} (name) values ($1)`, [migration.name]);
      applied.push(migration.name);
    }
    return applied;
  });
}
