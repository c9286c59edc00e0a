import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { createPool, migrate, type Pool } from '@feed/store';
import { startReplicaPair, type ReplicaPair } from '../../test-support/replicaPair.js';
import { waitFor } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { registered, store } from './feedFixtures.js';
import { metricValue } from './metricValue.js';

let pair: ReplicaPair;
let pool: Pool;
let app: FastifyInstance;

beforeAll(async () => {
  pair = await startReplicaPair();
  const admin = new pg.Client({ connectionString: pair.primaryUrl('postgres') });
  await admin.connect();
  await admin.query('create database feed');
  await admin.end();
  pool = createPool({ connectionString: pair.primaryUrl('feed'), max: 6 });
  await migrate(pool);
  app = await buildApp({
    config: loadConfig({
      DATABASE_URL: pair.primaryUrl('feed'),
      DATABASE_READ_URL: pair.standbyUrl('feed'),
      // Every page from the database, so each read shows where it went.
      SERVICE_MEMORY_CACHE: 'false',
    }),
    pool,
  });
  await waitFor(
    'the app to be ready',
    async () => (await app.inject('/readyz')).statusCode === 200,
    {
      timeout: 30_000,
    },
  );
}, 120_000);
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await pair?.stop();
});

const counter = (name: string) => metricValue(app, name);
const ids = async () =>
  (await app.inject('/events?limit=50'))
    .json<{ items: Array<{ id: string }> }>()
    .items.map((i) => i.id);

it('reads from the replica once it has replayed what the live feed has seen, and from the primary while it lags', async () => {
  const first = registered('On Both');
  await store(pool, [first]);
  await waitFor('the event read from the replica', async () => {
    const shown = (await ids()).includes(first.id);
    return shown && (await counter('feed_read_replica_reads_total')) > 0;
  });
  // A read just after a new commit may find the standby a few bytes behind for a moment.
  await waitFor(
    '/readyz to say the replica caught up',
    async () =>
      (await app.inject('/readyz')).json<{ readReplica: string }>().readReplica === 'caught up',
  );
  const single = await app.inject(`/events/${first.id}?source=${first.source}`);
  expect(single.statusCode).toBe(200);

  await pair.standbySql('select pg_wal_replay_pause()');
  try {
    const second = registered('Only On The Primary Yet');
    await store(pool, [second]);
    const fallbacks = await counter('feed_read_replica_fallbacks_total');
    // The live feed has seen it: a read must show it, so the lagging replica is passed over.
    await waitFor('the new event shown while the replica lags', async () =>
      (await ids()).includes(second.id),
    );
    expect(await counter('feed_read_replica_fallbacks_total')).toBeGreaterThan(fallbacks);
    expect((await app.inject('/readyz')).json<{ readReplica: string }>().readReplica).toMatch(
      /^\d+ bytes of WAL behind: reading from the primary$/,
    );
  } finally {
    await pair.standbySql('select pg_wal_replay_resume()');
  }
  await waitFor('the replica caught up again', async () => {
    await ids();
    return (
      (await app.inject('/readyz')).json<{ readReplica: string }>().readReplica === 'caught up'
    );
  });
});
