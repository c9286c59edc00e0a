import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { adminUrl, databaseUrl } from './urls.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database. Fails when a connection to it is still open: a leak in the test. */
  drop(): Promise<void>;
}

/** A migrated database of the test's own, cloned from the run's template. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `feed_test_${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30)}_${randomBytes(3).toString('hex')}`;
  await adminQuery(`create database ${name} template ${inject('templateDatabase')}`);
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      // A backend leaves pg_stat_activity a moment after its client closed the socket, so a
      // connection counts as left open only if it is still there after a grace period.
      let open: number;
      const deadline = Date.now() + 5000;
      for (;;) {
        const { rows } = await adminQuery<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where datname = $1',
          [name],
        );
        open = rows[0]!.n;
        if (open === 0 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await adminQuery(`drop database if exists ${name} with (force)`);
      if (open > 0) throw new Error(`${open} connection(s) to ${name} were left open by the test`);
    },
  };
}

async function adminQuery<T extends pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}
