import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { registered, store } from './feedFixtures.js';
import { metricValue } from './metricValue.js';

const run = promisify(execFile);
let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let base: string;
let scratch: string;

beforeAll(async () => {
  db = await createTestDatabase('service-compression');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  scratch = mkdtempSync(join(tmpdir(), 'feed-compression-'));
  const summary = 'A page of the feed is JSON that repeats its field names. '.repeat(3);
  await store(
    pool,
    Array.from({ length: 30 }, (_, i) =>
      registered(`Coded ${i}`, { source: 'coded' }, { summary }),
    ),
  );
  await waitFor('the head to hold the events', async () => {
    const response = await fetch(`${base}/events?limit=30`);
    const { items } = (await response.json()) as { items: unknown[] };
    return items.length === 30 && (await app.inject('/readyz')).statusCode === 200;
  });
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** curl, a client we did not write: the status, the headers (lower-cased) and the body bytes. */
async function curl(url: string, args: string[] = []) {
  const headerFile = join(scratch, 'headers');
  const bodyFile = join(scratch, 'body');
  // curl writes no file for an answer without a body (a 304): none must be left from before.
  rmSync(bodyFile, { force: true });
  const { stdout } = await run('curl', [
    '-sS',
    ...args,
    '-D',
    headerFile,
    '-o',
    bodyFile,
    '-w',
    '%{http_code}',
    url,
  ]);
  const headers = new Map<string, string>();
  for (const line of readFileSync(headerFile, 'utf8').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = Buffer.alloc(0);
  try {
    body = readFileSync(bodyFile);
  } catch {
    // No body.
  }
  return { status: Number(stdout), headers, body };
}

function compressions(encoding: string): Promise<number> {
  return metricValue(app, `feed_http_compressions_total{encoding="${encoding}"}`);
}

async function firstCursor(limit: number): Promise<string> {
  const response = await fetch(`${base}/events?limit=${limit}`);
  return ((await response.json()) as { nextCursor: string }).nextCursor;
}

describe('compressed answers', () => {
  it('serves the head, a filtered page and a deep page in br and gzip that decode to the identity body, each coding with its own ETag', async () => {
    const urls = [
      `${base}/events?limit=20`,
      `${base}/events?limit=10&source=coded`,
      `${base}/events?limit=10&cursor=${await firstCursor(10)}`,
    ];
    for (const url of urls) {
      const plain = await curl(url);
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-encoding')).toBeUndefined();
      expect(plain.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(plain.headers.get('cache-control')).toBe('no-cache');
      expect(plain.body.length, `${url}: ${plain.body.toString().slice(0, 200)}`).toBeGreaterThan(
        1024,
      );
      const etags = new Set([plain.headers.get('etag')]);
      for (const [encoding, decode] of [
        ['gzip', gunzipSync],
        ['br', brotliDecompressSync],
      ] as const) {
        // The raw bytes as they went over the wire, decoded here.
        const raw = await curl(url, ['-H', `Accept-Encoding: ${encoding}`]);
        expect(raw.status).toBe(200);
        expect(raw.headers.get('content-encoding')).toBe(encoding);
        expect(raw.headers.get('vary')).toMatch(/accept-encoding/i);
        expect(raw.body.length).toBeLessThan(plain.body.length / 2);
        expect(decode(raw.body).equals(plain.body)).toBe(true);
        const etag = raw.headers.get('etag')!;
        etags.add(etag);
        // Its own ETag revalidates to a 304; the identity body's ETag does not match it.
        const again = await curl(url, [
          '-H',
          `Accept-Encoding: ${encoding}`,
          '-H',
          `If-None-Match: ${etag}`,
        ]);
        expect(again.status).toBe(304);
        expect(again.headers.get('etag')).toBe(etag);
        expect(again.body.length).toBe(0);
        const crossed = await curl(url, [
          '-H',
          `Accept-Encoding: ${encoding}`,
          '-H',
          `If-None-Match: ${plain.headers.get('etag')!}`,
        ]);
        expect(crossed.status).toBe(200);
        expect(decode(crossed.body).equals(plain.body)).toBe(true);
      }
      expect(etags.size).toBe(3);
      // curl --compressed (it asks for every coding it knows) and Node's fetch decode the same body.
      const decoded = await curl(url, ['--compressed']);
      expect(['br', 'gzip']).toContain(decoded.headers.get('content-encoding'));
      expect(decoded.body.equals(plain.body)).toBe(true);
      const fetched = await fetch(url);
      expect(['br', 'gzip']).toContain(fetched.headers.get('content-encoding'));
      expect(Buffer.from(await fetched.arrayBuffer()).equals(plain.body)).toBe(true);
    }
  });

  it('answers identity to a client that accepts no coding of ours, and leaves small bodies uncompressed', async () => {
    const url = `${base}/events?limit=20`;
    const plain = await curl(url);
    for (const header of ['identity', 'deflate', 'br;q=0, gzip;q=0']) {
      const answer = await curl(url, ['-H', `Accept-Encoding: ${header}`]);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-encoding')).toBeUndefined();
      expect(answer.headers.get('etag')).toBe(plain.headers.get('etag'));
      expect(answer.body.equals(plain.body)).toBe(true);
    }
    const small = await curl(`${base}/events?limit=1&source=none`, ['-H', 'Accept-Encoding: br']);
    expect(small.status).toBe(200);
    expect(small.headers.get('content-encoding')).toBeUndefined();
    expect(small.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(JSON.parse(small.body.toString())).toEqual({ items: [], nextCursor: null });
  });

  it('compresses a cached page once per version and coding, and again after the feed changed', async () => {
    const url = `${base}/events?limit=25`;
    const brBefore = await compressions('br');
    const gzipBefore = await compressions('gzip');
    const etags = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const br = await fetch(url, { headers: { 'accept-encoding': 'br' } });
      const gzip = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
      await br.arrayBuffer();
      await gzip.arrayBuffer();
      etags.add(br.headers.get('etag')!).add(gzip.headers.get('etag')!);
    }
    expect(etags.size).toBe(2);
    expect(await compressions('br')).toBe(brBefore + 1);
    expect(await compressions('gzip')).toBe(gzipBefore + 1);
    // The same for a deep page the page cache holds.
    const deep = `${base}/events?limit=10&cursor=${await firstCursor(5)}`;
    for (let i = 0; i < 3; i += 1)
      await (await fetch(deep, { headers: { 'accept-encoding': 'br' } })).arrayBuffer();
    expect(await compressions('br')).toBe(brBefore + 2);

    const [oldBr] = [...etags].filter((etag) => etag.endsWith('-br"'));
    await store(pool, [registered('Newcomer', { source: 'coded' })]);
    await waitFor('the head to change', async () => {
      const response = await fetch(url, {
        headers: { 'accept-encoding': 'br', 'if-none-match': oldBr! },
      });
      await response.arrayBuffer();
      return response.status === 200;
    });
    const brAfter = await compressions('br');
    expect(brAfter).toBe(brBefore + 3);
    for (let i = 0; i < 3; i += 1)
      await (await fetch(url, { headers: { 'accept-encoding': 'br' } })).arrayBuffer();
    expect(await compressions('br')).toBe(brAfter);
    // The deep page holds no new event: the page cache kept it, and its br bytes with it.
    for (let i = 0; i < 3; i += 1)
      await (await fetch(deep, { headers: { 'accept-encoding': 'br' } })).arrayBuffer();
    expect(await compressions('br')).toBe(brAfter);
  });
});
