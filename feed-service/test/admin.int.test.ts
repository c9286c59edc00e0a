import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@feed/logger';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { idleFeed, reaction, registered, store } from './feedFixtures.js';
import { openStream } from './sseClient.js';

const adminToken = 'admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${adminToken}` };
const logLines: Array<Record<string, unknown>> = [];

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase('service-admin');
  pool = createPool({ connectionString: db.url, max: 6 });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  app = await buildApp({
    config: loadConfig({ DATABASE_URL: db.url, SERVICE_ADMIN_TOKEN: adminToken }),
    pool,
    logger: createLogger({ name: 'feed-service', level: 'info', pretty: false }, destination),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
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

const headIds = async () =>
  (await app.inject('/events?limit=100'))
    .json<{ items: Array<{ id: string }> }>()
    .items.map((i) => i.id);

describe('admin auth', () => {
  it('needs the admin token, and is off without one', async () => {
    const missing = await app.inject({ method: 'DELETE', url: '/events/x?source=y' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.code).toBe('FEED_API_AUTH_MISSING');
    const wrong = await app.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers: { authorization: 'Bearer not-the-admin-token-at-all' },
      payload: { person: 'p' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('FEED_API_AUTH_INVALID');
    const off = await buildApp({
      config: loadConfig({ DATABASE_URL: db.url, SERVICE_MEMORY_CACHE: 'false' }),
      pool,
      liveFeed: idleFeed,
    });
    try {
      const refused = await off.inject({
        method: 'DELETE',
        url: '/events/x?source=y',
        headers: admin,
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('FEED_API_AUTH_DISABLED');
    } finally {
      await off.close();
    }
  });
});

describe('DELETE /events/:id', () => {
  it('hides the event from lists, the head, items and streams, and logs it', async () => {
    const first = registered('First');
    const keep = registered('Keep me');
    const hide = registered('Hide me');
    await store(pool, [first, keep, hide]);
    await waitFor('both in the head', async () => (await headIds()).includes(hide.id));
    const response = await app.inject({
      method: 'DELETE',
      url: `/events/${hide.id}`,
      headers: admin,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ hidden: { source: hide.source, id: hide.id } });
    await waitFor('the head without it', async () => !(await headIds()).includes(hide.id));
    expect(await headIds()).toContain(keep.id);
    expect(
      (await app.inject(`/events?source=${hide.source}&limit=100`))
        .json()
        .items.map((i: { id: string }) => i.id),
    ).not.toContain(hide.id);
    expect((await app.inject(`/events/${hide.id}`)).statusCode).toBe(404);
    // A stream resuming from before it does not send it.
    const { port } = app.server.address() as AddressInfo;
    const { cursor } = (await app.inject(`/events/${first.id}`)).json();
    const client = await openStream(`http://127.0.0.1:${port}/events/stream`, {
      'last-event-id': cursor,
    });
    try {
      await waitFor('the catch-up', () => client.events().length >= 1);
      expect(client.events().map((e) => e.id)).toEqual([keep.id]);
    } finally {
      client.close();
    }
    const again = await app.inject({
      method: 'DELETE',
      url: `/events/${hide.id}?source=${hide.source}`,
      headers: admin,
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('FEED_API_NOT_FOUND');
    expect(logLines.find((l) => l.admin === 'hide')).toMatchObject({
      eventId: hide.id,
      source: hide.source,
      msg: 'event hidden',
    });
    expect(JSON.stringify(logLines)).not.toContain(adminToken);
  });

  it('answers 409 for an id of several sources without ?source=', async () => {
    await store(pool, [
      registered('A', { id: 'dup', source: 's1' }),
      registered('B', { id: 'dup', source: 's2' }),
    ]);
    const ambiguous = await app.inject({ method: 'DELETE', url: '/events/dup', headers: admin });
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json().error.code).toBe('FEED_API_AMBIGUOUS_ID');
    const one = await app.inject({
      method: 'DELETE',
      url: '/events/dup?source=s2',
      headers: admin,
    });
    expect(one.statusCode).toBe(200);
    expect((await app.inject('/events/dup')).json()).toMatchObject({ source: 's1' });
  });
});

describe('POST /admin/erasures', () => {
  it('erases the events and reactions of one person and recounts, and logs it', async () => {
    const about = registered('Erase Person', { subject: 'person-x' });
    const other = registered('Someone else', { subject: 'person-y' });
    await store(pool, [about, other]);
    await store(pool, [
      reaction({ source: other.source, id: other.id }, 'like', 'person-x'),
      reaction({ source: other.source, id: other.id }, 'like', 'person-z'),
    ]);
    const bad = await app.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers: admin,
      payload: {},
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'FEED_API_BAD_BODY' });
    const response = await app.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers: admin,
      // Parked messages are erasureParked.int.test.ts's: this app has no broker of its own.
      payload: { person: 'person-x', parked: false },
    });
    expect(response.statusCode).toBe(200);
    // The event about them; their one reaction.
    expect(response.json()).toEqual({ person: 'person-x', events: 1, reactions: 1, parked: 0 });
    expect((await app.inject('/events?subject=person-x')).json().items).toEqual([]);
    expect((await app.inject('/events?actor=person-x')).json().items).toEqual([]);
    expect((await app.inject(`/events/${other.id}`)).json().reactions).toEqual({ like: 1 });
    await waitFor('the head without them', async () => !(await headIds()).includes(about.id));
    expect(logLines.find((l) => l.admin === 'erase')).toMatchObject({
      person: 'person-x',
      events: 1,
      reactions: 1,
    });
  });
});
