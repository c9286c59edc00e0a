import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { PgLiveFeed } from '../src/liveFeed.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
import { registered, store } from './feedFixtures.js';
import { openStream, type SseClient } from './sseClient.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let base: string;
const clients: SseClient[] = [];

async function startApp(env: Record<string, string> = {}, liveFeed?: { batchSize: number }) {
  const config = loadConfig({ DATABASE_URL: db.url, ...env });
  const feed =
    liveFeed === undefined
      ? undefined
      : new PgLiveFeed({ connectionString: db.url, pool, logger: silent, ...liveFeed });
  await feed?.start();
  const instance = await buildApp({ config, pool, liveFeed: feed });
  instance.addHook('onClose', async () => feed?.close());
  await instance.listen({ host: '127.0.0.1', port: 0 });
  await waitFor(
    'the app to be ready',
    async () => (await instance.inject('/readyz')).statusCode === 200,
  );
  const { port } = instance.server.address() as AddressInfo;
  return { instance, base: `http://127.0.0.1:${port}` };
}

async function stream(url: string, headers: Record<string, string> = {}) {
  const client = await openStream(url, headers);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  db = await createTestDatabase('service-stream');
  pool = createPool({ connectionString: db.url, max: 6 });
  ({ instance: app, base } = await startApp());
});
afterAll(async () => {
  for (const client of clients) client.close();
  await app?.close();
  await pool?.end();
  await db?.drop();
});

const names = (client: SseClient) => client.events().map((e) => (e.data as { name: string }).name);

describe('GET /events/stream', () => {
  it('sends new events live, each with its cursor as SSE id', async () => {
    const client = await stream(`${base}/events/stream?source=live`);
    expect(client.status).toBe(200);
    expect(client.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = [
      registered('Live 1', { source: 'live' }),
      registered('Live 2', { source: 'live' }),
    ];
    await store(pool, [events[0]!]);
    await store(pool, [events[1]!, registered('Elsewhere', { source: 'other' })]);
    await waitFor('two live events', () => client.events().length >= 2);
    expect(names(client)).toEqual(['Live 1', 'Live 2']);
    const [message] = client.messages;
    expect(message!.id).toBe(client.events()[0]!.cursor);
  });

  it('resumes with Last-Event-ID: exactly what was missed, then the live tail', async () => {
    const first = await stream(`${base}/events/stream?source=resume`);
    await store(pool, [
      registered('R1', { source: 'resume' }),
      registered('R2', { source: 'resume' }),
    ]);
    await waitFor('R1 and R2', () => first.events().length === 2);
    const lastId = first.messages.at(-1)!.id!;
    first.close();
    // Missed while disconnected, some of it in several commits, with other sources between.
    for (let i = 3; i <= 8; i += 1)
      await store(pool, [
        registered(`R${i}`, { source: 'resume' }),
        registered('noise', { source: 'noise' }),
      ]);
    const second = await stream(`${base}/events/stream?source=resume`, { 'last-event-id': lastId });
    // Inserted while the catch-up runs: they must come exactly once, after the missed ones.
    const during = (async () => {
      for (let i = 9; i <= 20; i += 1)
        await store(pool, [registered(`R${i}`, { source: 'resume' })]);
    })();
    await during;
    await waitFor('R3 to R20', () => second.events().length >= 18, { timeout: 20_000 });
    await store(pool, [registered('R21', { source: 'resume' })]);
    await waitFor('R21 live', () => second.events().length >= 19);
    expect(names(second)).toEqual(Array.from({ length: 19 }, (_, i) => `R${i + 3}`));
  });

  it('resumes from `after` too, and refuses a bad Last-Event-ID with its code', async () => {
    await store(pool, [registered('A1', { source: 'after' })]);
    const [a1] = (await (await fetch(`${base}/events?source=after`)).json()).items;
    await store(pool, [registered('A2', { source: 'after' })]);
    const client = await stream(`${base}/events/stream?source=after&after=${a1.cursor}`);
    await waitFor('A2', () => client.events().length === 1);
    expect(names(client)).toEqual(['A2']);
    const bad = await fetch(`${base}/events/stream`, { headers: { 'last-event-id': 'garbage' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({
      code: 'FEED_API_BAD_LAST_EVENT_ID',
      param: 'Last-Event-ID',
    });
    const badType = await fetch(`${base}/events/stream?type=a%20b`);
    expect((await badType.json()).error.code).toBe('FEED_API_BAD_TYPE');
  });

  it('loses nothing when the LISTEN connection drops: it reconnects and catches up', async () => {
    const client = await stream(`${base}/events/stream?source=relisten`);
    await store(pool, [registered('Before drop', { source: 'relisten' })]);
    await waitFor('the first event', () => client.events().length === 1);
    const { rows } = await pool.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = $1 and application_name = 'feed-service-listen'`,
      [db.name],
    );
    expect(rows[0]!.n).toBe(1);
    // Stored while nobody listens: its NOTIFY goes nowhere.
    await store(pool, [registered('While down', { source: 'relisten' })]);
    await waitFor('the missed event after the reconnect', () => client.events().length === 2, {
      timeout: 20_000,
    });
    await store(pool, [registered('After', { source: 'relisten' })]);
    await waitFor('the live tail again', () => client.events().length === 3);
    expect(names(client)).toEqual(['Before drop', 'While down', 'After']);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('keeps idle streams alive with heartbeats', async () => {
    const { instance, base: other } = await startApp({ SERVICE_STREAM_HEARTBEAT_MS: '1000' });
    try {
      const client = await stream(`${other}/events/stream`);
      await waitFor('a heartbeat', () => client.comments.includes('heartbeat'), {
        timeout: 10_000,
      });
      client.close();
    } finally {
      await instance.close();
    }
  });

  it('disconnects a client that stops reading, with a reason, and keeps serving the others', async () => {
    // Fan-outs of at most 8 events (240 kB) stay well under a reading client's 1 MiB bound,
    // even when NOTIFYs pile up on a busy machine.
    const { instance, base: other } = await startApp(
      { SERVICE_STREAM_MAX_BUFFERED_BYTES: String(1024 * 1024) },
      { batchSize: 8 },
    );
    try {
      const healthy = await stream(`${other}/events/stream?source=slow`);
      // A raw client that sends the request and never reads the answer.
      const { port } = new URL(other);
      const slow = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
      slow.write(
        'GET /events/stream?source=slow HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n',
      );
      slow.pause();
      // The service may reset the connection it gave up on.
      slow.on('error', () => {});
      let slowClosed = false;
      slow.on('close', () => (slowClosed = true));
      await waitFor('two stream clients', async () =>
        /^feed_stream_clients 2$/m.test((await instance.inject('/metrics')).body),
      );
      // More than the kernel's socket buffers (a few MiB on loopback) hold for a client that
      // does not read, in commits small enough for a reading client's bound.
      const big = 'x'.repeat(30_000);
      const total = 320;
      for (let i = 0; i < total; i += 4)
        await store(
          pool,
          Array.from({ length: 4 }, (_, j) =>
            registered(`Big ${i + j}`, { source: 'slow' }, { position: big }),
          ),
        );
      await waitFor('the slow client disconnected', async () =>
        /^feed_stream_disconnects_total\{reason="slow_client"\} 1$/m.test(
          (await instance.inject('/metrics')).body,
        ),
      );
      // Reading again now, the client finds the reason at the end of what it was sent.
      let received = '';
      slow.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      slow.resume();
      await waitFor('the slow socket closed', () => slowClosed, { timeout: 10_000 });
      expect(received.includes('HTTP/1.1 200')).toBe(true);
      expect(received).toContain('event: close');
      expect(received).toContain('FEED_API_STREAM_SLOW_CLIENT');
      await waitFor('every event at the healthy client', () => healthy.events().length === total, {
        timeout: 30_000,
      });
      expect(new Set(names(healthy)).size).toBe(total);
      slow.destroy();
    } finally {
      await instance.close();
    }
  });

  it('ends streams with a reason on close', async () => {
    const { instance, base: other } = await startApp();
    const client = await stream(`${other}/events/stream`);
    await waitFor('the stream open', async () =>
      /^feed_stream_clients 1$/m.test((await instance.inject('/metrics')).body),
    );
    await instance.close();
    await waitFor('the stream ended', () => client.ended);
    expect(client.messages.at(-1)).toMatchObject({ event: 'close' });
    expect(JSON.parse(client.messages.at(-1)!.data).error.code).toBe('FEED_API_STREAM_SHUTDOWN');
  });
});

describe('two service processes', () => {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  const processes: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  });

  async function spawnService(): Promise<string> {
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await waitFor(
      'the service to listen',
      () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1],
      { timeout: 20_000 },
    );
    await waitFor('the service to be ready', async () => (await fetch(`${url}/readyz`)).ok, {
      timeout: 20_000,
    });
    return url;
  }

  it('both deliver an event stored once, and both stop cleanly on SIGTERM', async () => {
    const [one, two] = await Promise.all([spawnService(), spawnService()]);
    const a = await stream(`${one}/events/stream?source=replicas`);
    const b = await stream(`${two}/events/stream?source=replicas`);
    await store(pool, [registered('Everyone sees me', { source: 'replicas' })]);
    await waitFor(
      'both replicas to deliver',
      () => a.events().length === 1 && b.events().length === 1,
    );
    expect(names(a)).toEqual(['Everyone sees me']);
    expect(names(b)).toEqual(['Everyone sees me']);
    expect(a.events()[0]!.cursor).toBe(b.events()[0]!.cursor);
    const exits = processes.map(
      (child) =>
        new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    );
    for (const child of processes) child.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0]);
    await waitFor('both streams ended', () => a.ended && b.ended);
  });
});
