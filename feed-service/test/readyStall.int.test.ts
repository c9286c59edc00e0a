import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import {
  createTcpProxy,
  createTestDatabase,
  waitFor,
  type TcpProxy,
  type TestDatabase,
} from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

interface Readiness {
  status: string;
  database: boolean;
  liveFeed: boolean;
  reasons?: string[];
}

let db: TestDatabase;
let proxy: TcpProxy;
let pool: Pool;
let app: FastifyInstance;

/** The service as main.ts builds it (statement timeout, its own LISTEN connection), through the proxy. */
beforeAll(async () => {
  db = await createTestDatabase('service-ready-stall');
  const url = new URL(db.url);
  proxy = await createTcpProxy(Number(url.port || 5432), url.hostname);
  url.port = String(proxy.port);
  const config = loadConfig({ DATABASE_URL: url.toString(), SERVICE_MEMORY_CACHE: 'false' });
  pool = createPool({
    connectionString: config.databaseUrl,
    max: 4,
    statementTimeoutMs: config.statementTimeoutMs,
  });
  app = await buildApp({ config, pool });
  await waitFor('ready', async () => (await readiness()).status === 'ready');
});
afterAll(async () => {
  proxy?.thaw();
  await app?.close();
  await pool?.end();
  await proxy?.close();
  await db?.drop();
});

async function readiness(): Promise<Readiness & { code: number }> {
  const response = await app.inject('/readyz');
  return { code: response.statusCode, ...response.json<Readiness>() };
}

describe('/readyz under a stall', () => {
  it('says not ready, naming the lock, within 5 s of a lock held on feed_events, and ready again once it is released', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table feed_events in access exclusive mode');
      const stalled = await waitFor(
        'not ready under the lock',
        async () => {
          const answer = await readiness();
          return answer.code === 503 ? answer : undefined;
        },
        { timeout: 5000 },
      );
      expect(stalled.database).toBe(false);
      expect(stalled.reasons).toEqual([
        'reading feed_events took over 1800 ms (a lock held on the table? see pg_locks)',
      ]);
      await holder.query('rollback');
      await waitFor('ready again', async () => (await readiness()).code === 200);
    } finally {
      await holder.end();
    }
  });

  it('says not ready within 5 s of a frozen database connection, and recovers by itself when it thaws', async () => {
    proxy.freeze();
    const stalled = await waitFor(
      'not ready while frozen',
      async () => {
        const answer = await readiness();
        return answer.code === 503 && !answer.liveFeed ? answer : undefined;
      },
      { timeout: 5000 },
    );
    expect(stalled.reasons).toEqual([
      'the database did not answer within 2000 ms',
      'the live feed is not listening (LISTEN connection down)',
    ]);
    proxy.thaw();
    await waitFor('ready again after the thaw', async () => (await readiness()).code === 200, {
      timeout: 20_000,
    });
  }, 30_000);
});
