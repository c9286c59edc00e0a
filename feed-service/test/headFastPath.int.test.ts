import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { registered, store } from './feedFixtures.js';
import { metricValue } from './metricValue.js';

// The head's fast path (src/headFastPath.ts) answers over the server's socket; app.inject
// never passes the server, so it gets Fastify's answer to the same request: the two compared.

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Lines Node writes for a socket (not Fastify's, not ours): inject has none of them. */
const socketLines = new Set(['date', 'connection', 'keep-alive']);

function overHttp(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .request(`${base}${path}`, { method, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const lines: Record<string, string> = {};
          for (let i = 0; i < response.rawHeaders.length; i += 2)
            if (!socketLines.has(response.rawHeaders[i]!.toLowerCase()))
              lines[response.rawHeaders[i]!.toLowerCase()] = response.rawHeaders[i + 1]!;
          resolve({ status: response.statusCode!, headers: lines, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      })
      .on('error', reject)
      .end();
  });
}

async function throughFastify(
  app: FastifyInstance,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await app.inject({ method: 'GET', url: path, headers });
  const lines: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers))
    if (!socketLines.has(name)) lines[name] = String(value);
  return { status: response.statusCode, headers: lines, body: response.rawPayload };
}

function fastAnswers(app: FastifyInstance): Promise<number> {
  return metricValue(app, 'feed_head_fast_path_total');
}

/**
 * Two answers the same, but for the rate limit's window: the fast one a request later (one
 * fewer left) and a moment later (its reset, in whole seconds, the same or one less).
 */
function expectSameAnswer(fast: Answer, framework: Answer): void {
  const {
    'x-ratelimit-remaining': fastLeft,
    'x-ratelimit-reset': fastReset,
    ...fastLines
  } = fast.headers;
  const {
    'x-ratelimit-remaining': frameworkLeft,
    'x-ratelimit-reset': frameworkReset,
    ...frameworkLines
  } = framework.headers;
  expect(fast.status).toBe(framework.status);
  expect(fastLines).toEqual(frameworkLines);
  expect(Number(fastLeft)).toBe(Number(frameworkLeft) - 1);
  expect(Number(frameworkReset) - Number(fastReset)).toBeGreaterThanOrEqual(0);
  expect(Number(frameworkReset) - Number(fastReset)).toBeLessThanOrEqual(1);
  expect(fast.body.equals(framework.body)).toBe(true);
}

async function start(db: TestDatabase, pool: Pool, env: Record<string, string> = {}) {
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url, ...env }), pool });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase('service-head-fast-path');
  pool = createPool({ connectionString: db.url, max: 6 });
  ({ app, base } = await start(db, pool));
  const summary = 'A page of the feed is JSON that repeats its field names. '.repeat(3);
  await store(
    pool,
    Array.from({ length: 60 }, (_, i) => registered(`Fast ${i}`, { source: 'fast' }, { summary })),
  );
  await waitFor('the head to hold the events', async () => {
    const { items } = (await (await fetch(`${base}/events?limit=60`)).json()) as {
      items: unknown[];
    };
    return items.length === 60 && (await app.inject('/readyz')).statusCode === 200;
  });
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

describe('the head of the feed before Fastify', () => {
  for (const coding of ['identity', 'gzip', 'br'])
    for (const path of ['/events', '/events?limit=50'])
      it(`answers ${path} in ${coding} line for line as Fastify does, and its 304`, async () => {
        const asked = { 'accept-encoding': coding };
        // Fastify's answer first: a coding's bytes are made on the first answer in it.
        const framework = await throughFastify(app, path, asked);
        const before = await fastAnswers(app);
        const fast = await overHttp(base, path, asked);
        expect(await fastAnswers(app)).toBe(before + 1);
        expect(fast.status).toBe(200);
        expectSameAnswer(fast, framework);
        if (coding !== 'identity') expect(fast.headers['content-encoding']).toBe(coding);
        expect(fast.headers.link).toMatch(/^<\/events\?limit=\d+&cursor=[^>]+>; rel="next"$/);

        const revalidate = { ...asked, 'if-none-match': fast.headers.etag! };
        const frameworkFresh = await throughFastify(app, path, revalidate);
        const fastFresh = await overHttp(base, path, revalidate);
        expect(fastFresh.status).toBe(304);
        expectSameAnswer(fastFresh, frameworkFresh);
        expect(await fastAnswers(app)).toBe(before + 2);
      });

  it('leaves to Fastify what names a reader or a credential, asks more than a limit, or is not a GET', async () => {
    const before = await fastAnswers(app);
    const asks: Array<[string, Record<string, string>, string, number]> = [
      ['/events?limit=50', { authorization: 'Bearer not-a-token' }, 'GET', 200],
      ['/events?limit=50', { 'x-api-key': 'not-a-key' }, 'GET', 200],
      // From a peer that is not a trusted proxy: Fastify's 401.
      ['/events?limit=50', { 'x-feed-reader': 'anna' }, 'GET', 401],
      ['/events?limit=50&source=fast', {}, 'GET', 200],
      ['/events?limit=0', {}, 'GET', 400],
      ['/events?limit=101', {}, 'GET', 400],
      ['/events?limit=050', {}, 'GET', 200],
      ['/events?limit=50', {}, 'HEAD', 200],
    ];
    for (const [path, headers, method, status] of asks) {
      const answer = await overHttp(base, path, headers, method);
      expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(status);
    }
    expect(await fastAnswers(app)).toBe(before);
    // A page Fastify answered after the fast ones is the same page.
    const head = await overHttp(base, '/events?limit=50&source=fast');
    const fast = await overHttp(base, '/events?limit=50');
    expect(JSON.parse(fast.body.toString()).items).toEqual(JSON.parse(head.body.toString()).items);
  });

  it('counts its answers in the metrics as Fastify does', async () => {
    const requests = async () => {
      const text = (await app.inject('/metrics')).body;
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith('feed_http_requests_total{method="GET",route="/events",status="200"}'),
        );
      return Number(line?.split(' ')[1] ?? NaN);
    };
    const before = await requests();
    for (let i = 0; i < 5; i += 1) await overHttp(base, '/events?limit=20');
    expect(await requests()).toBe(before + 5);
  });
});

describe('the rate limit on the fast path', () => {
  it('counts fast answers in the client window and leaves the one over the limit to Fastify: 429', async () => {
    const limited = await start(db, pool, { SERVICE_RATE_LIMIT_MAX: '20' });
    try {
      // The head is read after the app starts: until then Fastify answers (and counts).
      let left = 0;
      await waitFor('the fast path to answer', async () => {
        const before = await fastAnswers(limited.app);
        const answer = await overHttp(limited.base, '/events?limit=5');
        left = Number(answer.headers['x-ratelimit-remaining']);
        return answer.status === 200 && (await fastAnswers(limited.app)) === before + 1;
      });
      expect(left).toBeGreaterThan(0);
      const before = await fastAnswers(limited.app);
      for (let i = left - 1; i >= 0; i -= 1) {
        const answer = await overHttp(limited.base, '/events?limit=5');
        expect([answer.status, answer.headers['x-ratelimit-remaining']]).toEqual([200, String(i)]);
      }
      expect(await fastAnswers(limited.app)).toBe(before + left);
      const over = await overHttp(limited.base, '/events?limit=5');
      expect(over.status).toBe(429);
      expect(over.headers['x-ratelimit-remaining']).toBe('0');
      expect(over.headers['retry-after']).toBeDefined();
      expect(JSON.parse(over.body.toString()).error.code).toBe('FEED_API_RATE_LIMITED');
      expect(await fastAnswers(limited.app)).toBe(before + left);
    } finally {
      await limited.app.close();
    }
  });
});

describe('the fast path with CORS on', () => {
  it("leaves a request with an Origin to Fastify's CORS plugin, and answers one without", async () => {
    const portal = 'http://portal.example';
    const cors = await start(db, pool, { SERVICE_CORS_ORIGINS: portal });
    try {
      await waitFor('the fast path to answer', async () => {
        const before = await fastAnswers(cors.app);
        await overHttp(cors.base, '/events?limit=5');
        return (await fastAnswers(cors.app)) === before + 1;
      });
      const before = await fastAnswers(cors.app);
      const fromPortal = await overHttp(cors.base, '/events?limit=5', { origin: portal });
      expect(fromPortal.status).toBe(200);
      expect(fromPortal.headers['access-control-allow-origin']).toBe(portal);
      expect(fromPortal.headers.vary).toMatch(/Origin/);
      expect(await fastAnswers(cors.app)).toBe(before);
      const direct = await overHttp(cors.base, '/events?limit=5');
      expect(direct.headers['access-control-allow-origin']).toBeUndefined();
      expect(await fastAnswers(cors.app)).toBe(before + 1);
    } finally {
      await cors.app.close();
    }
  });
});
