import pg from 'pg';
import { expect, it } from 'vitest';
import { startReplicaPair } from '../replicaPair.js';
import { waitFor } from '../waitFor.js';

it('starts a primary and a streaming standby that replays what the primary writes', async () => {
  const pair = await startReplicaPair();
  try {
    const primary = new pg.Client({ connectionString: pair.primaryUrl('postgres') });
    await primary.connect();
    await primary.query('create table t (n int); insert into t values (42)');
    await primary.end();
    const standby = new pg.Client({ connectionString: pair.standbyUrl('postgres') });
    await standby.connect();
    try {
      expect((await standby.query('select pg_is_in_recovery() as r')).rows[0].r).toBe(true);
      await waitFor('the row on the standby', async () => {
        const { rows } = await standby.query("select to_regclass('t') is not null as ok");
        return rows[0].ok && (await standby.query('select n from t')).rows[0]?.n === 42;
      });
    } finally {
      await standby.end();
    }
  } finally {
    await pair.stop();
  }
});
