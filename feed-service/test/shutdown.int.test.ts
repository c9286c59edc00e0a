import { spawn } from 'node:child_process';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { registered, store } from './feedFixtures.js';
import { openStream } from './sseClient.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Well under main.ts's 10 s shutdown deadline, with room for a busy machine. */
const closeBound = 6000;

let db: TestDatabase;
let pool: Pool;
const sockets: Socket[] = [];

beforeAll(async () => {
  db = await createTestDatabase('service-shutdown');
  pool = createPool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await pool?.end();
  await db?.drop();
});

/** A TCP connection to the service that sends nothing (a client that connected ahead of time). */
async function silentConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** A raw SSE request whose client reads nothing after the request. */
async function stalledStream(port: number, headers = ''): Promise<Socket> {
  const socket = await silentConnection(port);
  socket.write(
    `GET /events/stream?source=burst HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n${headers}\r\n`,
  );
  socket.pause();
  return socket;
}

function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe('shutdown with stream clients and idle connections', () => {
  it('app.close() completes: a stalled stream, a resumed one that left, a silent connection, a keep-alive one', async () => {
    const app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    await waitFor('ready', async () => (await app.inject('/readyz')).statusCode === 200);

    // A client that receives a burst and leaves; one that resumes with Last-Event-ID and leaves.
    const reader = await openStream(`${base}/events/stream?source=burst`);
    const stalled = await stalledStream(port);
    await store(
      pool,
      Array.from({ length: 300 }, (_, i) =>
        registered(`B${i}`, { source: 'burst' }, { position: 'x'.repeat(2000) }),
      ),
    );
    await waitFor('the burst', () => reader.events().length === 300, { timeout: 20_000 });
    const lastId = reader.messages.at(-100)!.id!;
    reader.close();
    const resumed = await openStream(`${base}/events/stream?source=burst`, {
      'last-event-id': lastId,
    });
    await waitFor('the catch-up', () => resumed.events().length === 99, { timeout: 20_000 });
    resumed.close();
    // A resumed client that stopped reading during its catch-up.
    await stalledStream(port, `Last-Event-ID: ${reader.messages[0]!.id!}\r\n`);
    // A keep-alive connection left idle after its answer, and one that never sent anything.
    const keepAlive = await fetch(`${base}/events?limit=1`);
    expect(keepAlive.status).toBe(200);
    await keepAlive.text();
    await silentConnection(port);
    expect(stalled.destroyed).toBe(false);

    await within('app.close()', app.close(), closeBound);
  }, 60_000);

  it('node dist/main.js exits 0 on SIGTERM with a silent connection and a stream client open', async () => {
    const child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      const url = await waitFor(
        'the service to listen',
        () => /Server listening at (http:\/\/[0-9.:]+)/.exec(output)?.[1],
        { timeout: 20_000 },
      );
      const port = Number(new URL(url).port);
      await waitFor('live feed', () => output.includes('live feed listening'), { timeout: 20_000 });
      const client = await openStream(`${url}/events/stream`);
      await store(pool, [registered('Live')]);
      await waitFor('an event on the stream', () => client.events().length === 1);
      await silentConnection(port);
      child.kill('SIGTERM');
      expect(await within('exit after SIGTERM', exited, closeBound + 2000), output).toBe(0);
      expect(output).toContain('"msg":"stopped"');
      expect(output).not.toContain('took too long');
      client.close();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
