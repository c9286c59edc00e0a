import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { idleFeed, registered, store } from './feedFixtures.js';
import { openStream, type SseClient } from './sseClient.js';

let db: TestDatabase;
let pool: Pool;
const apps: FastifyInstance[] = [];
const clients: SseClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase('service-stream-limits');
  pool = createPool({ connectionString: db.url, max: 3 });
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const app of apps) await app.close();
  await pool?.end();
  await db?.drop();
});

async function serve(env: Record<string, string>) {
  const app = await buildApp({
    config: loadConfig({
      DATABASE_URL: db.url,
      SERVICE_MEMORY_CACHE: 'false',
      // Each client below is named by its X-Forwarded-For.
      SERVICE_TRUSTED_PROXIES: '127.0.0.1',
      ...env,
    }),
    pool,
    liveFeed: idleFeed,
  });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

async function stream(url: string, client: string) {
  const opened = await openStream(url, { 'x-forwarded-for': client });
  clients.push(opened);
  return opened;
}

/** A refused stream's answer: status, JSON error, Retry-After. */
async function refused(url: string, client: string) {
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', 'x-forwarded-for': client },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { error: { code: string; message: string } };
  return {
    status: response.status,
    ...body.error,
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('caps on live streams', () => {
  it('answers a client past SERVICE_STREAMS_PER_CLIENT with 429 FEED_API_STREAM_LIMIT, and takes it again once a stream closed', async () => {
    const { base } = await serve({ SERVICE_STREAMS_PER_CLIENT: '2' });
    const url = `${base}/events/stream`;
    const [a, b] = [await stream(url, '10.0.0.1'), await stream(url, '10.0.0.1')];
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await refused(url, '10.0.0.1');
    expect(third.status).toBe(429);
    expect(third.code).toBe('FEED_API_STREAM_LIMIT');
    expect(third.message).toBe(
      'address 10.0.0.1 already holds 2 live streams, the most one client may open (SERVICE_STREAMS_PER_CLIENT); close one first',
    );
    // Another client is not affected.
    expect((await stream(url, '10.0.0.2')).status).toBe(200);
    a.close();
    await waitFor('a place freed by the closed stream', async () => {
      const again = await openStream(url, { 'x-forwarded-for': '10.0.0.1' });
      clients.push(again);
      return again.status === 200;
    });
  });

  it('answers past SERVICE_STREAMS_MAX with 503 FEED_API_STREAMS_FULL and Retry-After', async () => {
    const { base } = await serve({ SERVICE_STREAMS_MAX: '3' });
    const url = `${base}/events/stream`;
    for (const client of ['10.1.0.1', '10.1.0.2', '10.1.0.3'])
      expect((await stream(url, client)).status).toBe(200);
    const full = await refused(url, '10.1.0.4');
    expect(full.status).toBe(503);
    expect(full.code).toBe('FEED_API_STREAMS_FULL');
    expect(full.message).toContain('SERVICE_STREAMS_MAX');
    expect(full.retryAfter).toBe('5');
    // Pages are still served.
    expect((await fetch(`${base}/events?limit=1`)).status).toBe(200);
  });
});

describe('a replay from the start of the feed', () => {
  it('takes turns with the other replays, so a filtered page is answered while 40 streams replay 1,000 events each', async () => {
    await store(pool, [registered('First', { source: 'replay' })]);
    const streams = 40;
    const events = 1000;
    const concurrency = 1;
    const { app, base } = await serve({
      SERVICE_STREAMS_PER_CLIENT: String(streams),
      SERVICE_DB_POOL_MAX: '3',
      SERVICE_STREAM_CATCHUP_CONCURRENCY: String(concurrency),
    });
    const first = (await (await fetch(`${base}/events?limit=1&source=replay`)).json()) as {
      items: Array<{ cursor: string }>;
    };
    const from = first.items[0]!.cursor;
    for (let start = 0; start < events; start += 500)
      await store(
        pool,
        Array.from({ length: 500 }, (_, i) =>
          registered(`Replayed ${start + i}`, { source: i % 100 === 0 ? 'needle' : 'replay' }),
        ),
      );
    const reads = async () =>
      (await app.inject('/metrics')).body.match(/^feed_stream_catchup_reads_total (\d+)/m)?.[1];

    const replaying = await Promise.all(
      Array.from({ length: streams }, () =>
        stream(`${base}/events/stream?after=${from}`, '10.2.0.1'),
      ),
    );
    expect(replaying.every((s) => s.status === 200)).toBe(true);
    const readsBefore = Number(await reads());
    const page = await fetch(`${base}/events?limit=100&source=needle`);
    const readsAfter = Number(await reads());
    expect(page.status).toBe(200);
    expect(((await page.json()) as { items: unknown[] }).items).toHaveLength(events / 100);
    // Without turns, every stream's read is queued for the pool ahead of the page's, which
    // waits for about `streams` reads to finish; with them it never waits for a connection.
    expect(readsAfter - readsBefore).toBeLessThan(streams / 4);
    const complete = () => replaying.filter((s) => s.events().length === events).length;
    expect(complete()).toBeLessThan(streams);
    // And nothing is starved or lost: every replay gets all of it, in order.
    await waitFor('every replay to finish', () => complete() === streams, { timeout: 120_000 });
    for (const replay of replaying) {
      const names = replay.events().map((e) => (e.data as { name: string }).name);
      expect(names).toEqual(Array.from({ length: events }, (_, i) => `Replayed ${i}`));
    }
  }, 180_000);
});
