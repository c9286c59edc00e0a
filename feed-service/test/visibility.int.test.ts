import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { beginFeedWrite, createPool, insertEvents, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { registered, store } from './feedFixtures.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase('service-visibility');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await waitFor(
    'the app to be ready',
    async () => (await app.inject('/readyz')).statusCode === 200,
  );
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

it('a transaction writing the feed that stays open holds back what readers see; /readyz names it, and recovers when it ends', async () => {
  const stuck = await pool.connect();
  const held = registered('Held Back');
  const after = registered('Stored After');
  try {
    await stuck.query('begin');
    await beginFeedWrite(stuck);
    await insertEvents(stuck, [held]);
    await store(pool, [after]);
    // Stored after the open transaction began writing: not shown before it ends.
    const ids = async () =>
      (await app.inject('/events?limit=10'))
        .json<{ items: Array<{ id: string }> }>()
        .items.map((i) => i.id);
    expect(await ids()).not.toContain(after.id);
    const answer = await waitFor(
      'readyz naming the stall',
      async () => {
        const response = await app.inject('/readyz');
        return response.statusCode === 503 && response.json<{ visibility?: string }>();
      },
      { timeout: 20_000 },
    );
    expect(answer.visibility).toMatch(
      /^held for \d+ s by a transaction writing the feed \(pid \d+, /,
    );
    const metrics = (await app.inject('/metrics')).body;
    expect(Number(/^feed_visibility_held_seconds (\S+)/m.exec(metrics)![1])).toBeGreaterThan(5);
    await stuck.query('commit');
  } finally {
    stuck.release();
  }
  await waitFor('ready again', async () => (await app.inject('/readyz')).statusCode === 200);
  await waitFor('both shown', async () => {
    const items = (await app.inject('/events?limit=10')).json<{ items: Array<{ id: string }> }>()
      .items;
    return items.some((i) => i.id === held.id) && items.some((i) => i.id === after.id);
  });
});
