import type pg from 'pg';
import { applyMigrations } from '@feed/contracts';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

/** Serializes migrators across processes: a second one waits, then finds nothing to do. */
const MIGRATION_LOCK = 7_201_001;

export interface MigrateResult {
  applied: string[];
}

/**
 * Applies the pending migrations of the feed database in order, in one transaction, under an
 * advisory lock. Running it again, or in several processes at once, is a no-op.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[] = allMigrations,
): Promise<MigrateResult> {
  const applied = await applyMigrations(pool, {
    table: 'feed_migrations',
    lock: MIGRATION_LOCK,
    migrations,
  });
  return { applied };
}
