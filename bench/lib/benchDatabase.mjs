import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, migrate } from '@feed/store';
import { onCleanup } from './cleanup.mjs';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrlFor(name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql, params = []) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** A database of the bench's own with the feed schema (the store's migrations), dropped at the end. */
export async function createBenchDatabase(label) {
  const name = `feed_bench_${label}_${randomBytes(3).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  onCleanup(`drop database ${name}`, () =>
    adminQuery(`drop database if exists ${name} with (force)`),
  );
  const url = databaseUrlFor(name);
  const applicationName = 'feed-bench';
  const pool = createPool({ connectionString: url, max: 4, applicationName });
  onCleanup(`close pool of ${name}`, () => pool.end());
  await migrate(pool);
  return { name, url, pool, applicationName };
}
