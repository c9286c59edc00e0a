import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../src/index.js';

describe('applyMigrations', () => {
  it('refuses a table name that is not a plain identifier, before connecting', async () => {
    const pool = {
      connect: () => Promise.reject(new Error('must not connect')),
    } as unknown as pg.Pool;
    await expect(
      applyMigrations(pool, { table: 'm; drop table feed_events', lock: 1, migrations: [] }),
    ).rejects.toThrow('migration table "m; drop table feed_events" is not a plain identifier');
  });
});
