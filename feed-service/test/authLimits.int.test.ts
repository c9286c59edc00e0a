import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { createLogger } from '@feed/logger';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { idleFeed } from './feedFixtures.js';

const adminToken = 'admin-token-0123456789abcdef';
const readTokens = ['reader-one-0123456789abc', 'reader-two-0123456789abc'];

let db: TestDatabase;
let pool: Pool;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase('service-auth-limits');
  pool = createPool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await pool?.end();
  await db?.drop();
});

/** A service on a real socket with these variables; its log lines are collected. */
async function serve(env: Record<string, string>) {
  const logLines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const app = await buildApp({
    config: loadConfig({ DATABASE_URL: db.url, SERVICE_MEMORY_CACHE: 'false', ...env }),
    pool,
    liveFeed: idleFeed,
    logger: createLogger({ name: 'feed-service', level: 'info', pretty: false }, destination),
  });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { base, logLines };
}

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const code = response.status >= 400 ? JSON.parse(text).error?.code : undefined;
  return { status: response.status, code, retryAfter: response.headers.get('retry-after') };
}

const hide = (base: string, token: string, forwardedFor?: string) =>
  call(`${base}/events/nothing-here?source=nowhere`, {
    method: 'DELETE',
    headers: {
      authorization: `Bearer ${token}`,
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
  });

const wrongToken = (i: number) => `wrong-admin-token-${String(i).padStart(4, '0')}-xxxxxxxx`;

describe('failed authentication is rate-limited', () => {
  it('answers 40 wrong admin tokens against SERVICE_AUTH_FAILURE_MAX=30 with 30 401s, then 429s that name the limit, and locks out the right token too', async () => {
    const { base, logLines } = await serve({
      SERVICE_ADMIN_TOKEN: adminToken,
      SERVICE_AUTH_FAILURE_MAX: '30',
    });
    const answers: Answer[] = [];
    for (let i = 0; i < 40; i += 1) answers.push(await hide(base, wrongToken(i)));
    expect(
      answers.slice(0, 30).every((a) => a.status === 401 && a.code === 'FEED_API_AUTH_INVALID'),
    ).toBe(true);
    for (const answer of answers.slice(30)) {
      expect(answer.status).toBe(429);
      expect(answer.code).toBe('FEED_API_AUTH_RATE_LIMITED');
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    }
    // The right token from the locked address is refused the same way: a 429 tells a guesser
    // nothing about whether a guess was right.
    const right = await hide(base, adminToken);
    expect(right.status).toBe(429);
    const body = await (
      await fetch(`${base}/admin/erasures`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: '{"person":"p-1"}',
      })
    ).json();
    expect(body.error.message).toContain('SERVICE_AUTH_FAILURE_MAX');
    expect(
      logLines.filter((l) => l.msg === 'authentication failed' && l.client === '127.0.0.1'),
    ).toHaveLength(30);
  });

  it('counts wrong reader tokens against SERVICE_AUTH_FAILURE_MAX too, then refuses a good one', async () => {
    const secret = 'reader-token-secret-0123456789abcdef-0123';
    const { base } = await serve({
      SERVICE_READER_TOKEN_SECRET: secret,
      SERVICE_AUTH_FAILURE_MAX: '30',
    });
    const react = (token: string) =>
      call(`${base}/events/nothing-here/reactions/fire?source=nowhere`, {
        method: 'PUT',
        headers: { 'x-feed-reader-token': token },
      });
    const answers: Answer[] = [];
    for (let i = 0; i < 40; i += 1) answers.push(await react(`not.a.token-${i}`));
    expect(answers.map((a) => `${a.status} ${a.code}`)).toEqual([
      ...Array<string>(30).fill('401 FEED_API_READER_INVALID'),
      ...Array<string>(10).fill('429 FEED_API_AUTH_RATE_LIMITED'),
    ]);
    const good = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('emp-1')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect((await react(good)).status).toBe(429);
  });

  it('counts failed authentications against SERVICE_RATE_LIMIT_MAX before any route answers 401', async () => {
    const { base } = await serve({
      SERVICE_ADMIN_TOKEN: adminToken,
      SERVICE_RATE_LIMIT_MAX: '30',
      SERVICE_AUTH_FAILURE_MAX: '1000',
    });
    const statuses: number[] = [];
    const codes = new Set<string | undefined>();
    for (let i = 0; i < 40; i += 1) {
      const answer = await hide(base, wrongToken(i));
      statuses.push(answer.status);
      if (answer.status === 429) codes.add(answer.code);
    }
    expect(statuses).toEqual([...Array<number>(30).fill(401), ...Array<number>(10).fill(429)]);
    expect([...codes]).toEqual(['FEED_API_RATE_LIMITED']);
    const limited = await (await fetch(`${base}/events/x?source=y`, { method: 'DELETE' })).json();
    expect(limited.error.message).toContain('address 127.0.0.1');
    expect(limited.error.message).toContain('SERVICE_TRUSTED_PROXIES');
    // Probes are never limited.
    expect((await call(`${base}/healthz`)).status).toBe(200);
  });
});

describe('rate limits per reader, per key, per address', () => {
  it('gives each read token its own bucket, and anonymous callers their address', async () => {
    const { base } = await serve({
      SERVICE_READ_TOKENS: readTokens.join(','),
      SERVICE_RATE_LIMIT_MAX: '3',
    });
    const read = (token?: string) =>
      call(`${base}/events?limit=1`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
    const first: number[] = [];
    for (let i = 0; i < 4; i += 1) first.push((await read(readTokens[0])).status);
    expect(first).toEqual([200, 200, 200, 429]);
    const limited = await (
      await fetch(`${base}/events?limit=1`, {
        headers: { authorization: `Bearer ${readTokens[0]}` },
      })
    ).json();
    expect(limited.error.message).toContain('for reader:1');
    expect(limited.error.message).not.toContain(readTokens[0]);
    // The second reader and the address still have their whole minute.
    expect((await read(readTokens[1])).status).toBe(200);
    expect((await read()).status).toBe(401);
  });
});

describe('behind a trusted proxy', () => {
  it('ignores X-Forwarded-For by default', async () => {
    const { base } = await serve({ SERVICE_RATE_LIMIT_MAX: '2' });
    const statuses: number[] = [];
    for (const client of ['10.0.0.1', '10.0.0.2', '10.0.0.3'])
      statuses.push(
        (await call(`${base}/events?limit=1`, { headers: { 'x-forwarded-for': client } })).status,
      );
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('limits and logs the forwarded client when SERVICE_TRUSTED_PROXIES names the proxy (curl)', async () => {
    const { base, logLines } = await serve({
      SERVICE_ADMIN_TOKEN: adminToken,
      SERVICE_AUTH_FAILURE_MAX: '2',
      SERVICE_TRUSTED_PROXIES: '127.0.0.1',
    });
    const curl = async (client: string) => {
      const { stdout } = await promisify(execFile)('curl', [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-X',
        'DELETE',
        '-H',
        `authorization: Bearer ${wrongToken(1)}`,
        '-H',
        `x-forwarded-for: ${client}`,
        `${base}/events/x?source=y`,
      ]);
      return Number(stdout);
    };
    const a = [await curl('10.1.1.1'), await curl('10.1.1.1'), await curl('10.1.1.1')];
    expect(a).toEqual([401, 401, 429]);
    // Another client behind the same proxy is not locked out, and its right token works.
    expect(await curl('10.2.2.2')).toBe(401);
    expect((await hide(base, adminToken, '10.3.3.3')).status).toBe(404);
    expect((await hide(base, adminToken, '10.1.1.1')).status).toBe(429);
    const clients = new Set(
      logLines.filter((l) => l.msg === 'authentication failed').map((l) => l.client),
    );
    expect([...clients].sort()).toEqual(['10.1.1.1', '10.2.2.2']);
  });

  it('refuses a proxy setting that is no address', () => {
    expect(() => loadConfig({ SERVICE_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(
      'invalid configuration: SERVICE_TRUSTED_PROXIES: "10.0.0.0/33" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal',
    );
  });
});
