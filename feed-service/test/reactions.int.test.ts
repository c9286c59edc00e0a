import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import { createPool, type Pool } from '@feed/store';
import {
  createTestDatabase,
  createTestVhost,
  startWorker,
  waitFor,
  type TestDatabase,
  type TestVhost,
  type WorkerProcess,
} from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { registered, store } from './feedFixtures.js';
import { openStream, type SseClient } from './sseClient.js';

const secret = 'reader-token-secret-0123456789abcdef';
const adminToken = 'admin-token-0123456789';

let db: TestDatabase;
let vhost: TestVhost;
let pool: Pool;
let worker: WorkerProcess;
let publisher: FeedPublisher;
let app: FastifyInstance;
let base: string;
const streams: SseClient[] = [];

/** A token as the portal signs it for its reader: HS256, `sub` the employee id, an expiry. */
const tokenFor = (reader: string, expiresIn = '5m') =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(reader)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

beforeAll(async () => {
  db = await createTestDatabase('service-reactions');
  vhost = await createTestVhost('service-reactions');
  pool = createPool({ connectionString: db.url, max: 6 });
  worker = await startWorker(vhost.url, db.url);
  publisher = createFeedPublisher({ url: vhost.url, source: 'feed-service' });
  app = await buildApp({
    config: loadConfig({
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      SERVICE_READER_TOKEN_SECRET: secret,
      SERVICE_TRUSTED_PROXIES: '10.0.0.1',
      SERVICE_ADMIN_TOKEN: adminToken,
    }),
    pool,
    publisher,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await waitFor('the app ready', async () => (await app.inject('/readyz')).statusCode === 200);
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await app?.close();
  await publisher?.close();
  await worker?.stop();
  await pool?.end();
  await vhost?.drop();
  await db?.drop();
});

interface Item {
  id: string;
  source: string;
  reactions: Record<string, number>;
  reacted?: string[];
}

const react = async (
  method: 'PUT' | 'DELETE',
  target: { source: string; id: string },
  kind: string,
  headers: Record<string, string>,
) =>
  app.inject({
    method,
    url: `/events/${encodeURIComponent(target.id)}/reactions/${kind}?source=${target.source}`,
    headers,
  });

const listed = async (target: { source: string; id: string }, headers = {}) => {
  const response = await app.inject({ url: '/events?limit=50', headers });
  const item = response
    .json<{ items: Item[] }>()
    .items.find((i) => i.id === target.id && i.source === target.source);
  return { response, item };
};

/** The counts of `target` each stream has seen last. */
const streamCounts = (stream: SseClient, target: { source: string; id: string }) =>
  stream.messages
    .filter((m) => m.event === 'reactions')
    .map((m) => JSON.parse(m.data) as Item)
    .filter((c) => c.id === target.id && c.source === target.source)
    .at(-1)?.reactions;

/** Waits until the worker applied this reader's change of this version. */
const applied = (reader: string, kind: string, version: number) =>
  waitFor(`version ${version} of ${reader}'s ${kind} applied`, async () => {
    const { rows } = await pool.query<{ version: string }>(
      'select version::text from feed_reactions where actor = $1 and reaction = $2',
      [reader, kind],
    );
    return rows.some((r) => Number(r.version) >= version);
  });

describe('readers react through the API, the broker and the real worker', () => {
  it("a reaction reaches every reader's count (open streams and the list); twice counts once; DELETE takes it back", async () => {
    const anna = registered('Anna Smirnova');
    await store(pool, [anna]);
    await waitFor('Anna listed', async () => (await listed(anna)).item !== undefined);
    for (let i = 0; i < 2; i += 1) streams.push(await openStream(`${base}/events/stream`));
    await waitFor('two streams connected', async () =>
      /^feed_stream_clients 2/m.test((await app.inject('/metrics')).body),
    );
    const oleg = { 'x-feed-reader-token': await tokenFor('e-oleg') };

    const asked = Date.now();
    const put = await react('PUT', anna, 'fire', oleg);
    expect(put.statusCode).toBe(202);
    const state = put.json();
    expect(state).toMatchObject({
      event: { source: anna.source, id: anna.id },
      kind: 'fire',
      reader: 'e-oleg',
      reacted: true,
    });
    expect(state.change.source).toBe('feed-service');
    expect(put.headers['cache-control']).toBe('no-store');
    for (const [index, stream] of streams.entries())
      await waitFor(
        `stream ${index} counts the fire`,
        () => streamCounts(stream, anna)?.fire === 1,
      );
    await waitFor(
      'the list counts the fire',
      async () => (await listed(anna)).item?.reactions.fire === 1,
    );
    const reachedMs = Date.now() - asked;
    console.info(`reaction: PUT → both streams and the list in ${reachedMs} ms`);

    // The reader sees their own state; the answer is private then, shared without a reader.
    const mine = await listed(anna, oleg);
    expect(mine.item?.reacted).toEqual(['fire']);
    expect(mine.response.headers['cache-control']).toBe('private, no-cache');
    const anyone = await listed(anna);
    expect(anyone.item?.reacted).toBeUndefined();
    expect(anyone.response.headers['cache-control']).toBe('no-cache');
    const single = await app.inject({
      url: `/events/${anna.id}?source=${anna.source}`,
      headers: oleg,
    });
    expect(single.json<Item>().reacted).toEqual(['fire']);
    const other = await listed(anna, { 'x-feed-reader-token': await tokenFor('e-anna') });
    expect(other.item?.reacted).toEqual([]);

    // Twice PUT: a fresh event per change, one reaction counted.
    const again = await react('PUT', anna, 'fire', oleg);
    expect(again.statusCode).toBe(202);
    expect(again.json().version).toBeGreaterThan(state.version);
    expect(again.json().change.id).not.toBe(state.change.id);
    await applied('e-oleg', 'fire', again.json().version);
    const { rows } = await pool.query(
      "select count(*)::int as n from feed_reactions where target_id = $1 and actor = 'e-oleg' and active",
      [anna.id],
    );
    expect(rows[0].n).toBe(1);
    expect((await listed(anna)).item?.reactions).toEqual({ fire: 1 });

    const taken = await react('DELETE', anna, 'fire', oleg);
    expect(taken.statusCode).toBe(202);
    expect(taken.json()).toMatchObject({ reacted: false, kind: 'fire' });
    for (const [index, stream] of streams.entries())
      await waitFor(`stream ${index} takes the fire back`, () => {
        const counts = streamCounts(stream, anna);
        return counts !== undefined && counts.fire === undefined;
      });
    await waitFor(
      'the list takes it back',
      async () => (await listed(anna)).item?.reactions.fire === undefined,
    );
    expect((await listed(anna, oleg)).item?.reacted).toEqual([]);
  });

  it('a double click keeps the later change: put then delete at once ends not reacted', async () => {
    const event = registered('Double Click');
    await store(pool, [event]);
    const reader = { 'x-feed-reader-token': await tokenFor('e-click') };
    const [put, del] = [
      await react('PUT', event, 'like', reader),
      await react('DELETE', event, 'like', reader),
    ];
    expect([put.statusCode, del.statusCode]).toEqual([202, 202]);
    expect(del.json().version).toBeGreaterThan(put.json().version);
    await applied('e-click', 'like', del.json().version);
    // The head of the feed follows the commit within the live feed's next read.
    await waitFor('the list without the like', async () => {
      const { item } = await listed(event);
      return item !== undefined && item.reactions.like === undefined;
    });
  });

  it("takes the reader from a trusted proxy's X-Feed-Reader, and erasure of the reader takes their reactions", async () => {
    const event = registered('Via Proxy');
    await store(pool, [event]);
    const viaProxy = await app.inject({
      method: 'PUT',
      url: `/events/${event.id}/reactions/clap?source=${event.source}`,
      headers: { 'x-feed-reader': 'e-proxy' },
      remoteAddress: '10.0.0.1',
    });
    expect(viaProxy.statusCode).toBe(202);
    expect(viaProxy.json().reader).toBe('e-proxy');
    await waitFor('the clap counted', async () => (await listed(event)).item?.reactions.clap === 1);
    const erased = await app.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers: { authorization: `Bearer ${adminToken}` },
      // Parked messages are erasureParked.int.test.ts's: this app has no broker of its own.
      payload: { person: 'e-proxy', parked: false },
    });
    expect(erased.json()).toMatchObject({ reactions: 1 });
    await waitFor(
      'the clap gone',
      async () => (await listed(event)).item?.reactions.clap === undefined,
    );
  });

  it('refuses a request that names no reader, or names one it cannot believe, with a clear code', async () => {
    const event = registered('Refused');
    await store(pool, [event]);
    await waitFor('the event listed', async () => (await listed(event)).item !== undefined);
    const code = (response: { json: () => { error: { code: string; message: string } } }) =>
      response.json().error.code;

    const none = await react('PUT', event, 'like', {});
    expect(none.statusCode).toBe(401);
    expect(code(none)).toBe('FEED_API_READER_MISSING');
    expect(none.json().error.message).toContain('X-Feed-Reader-Token');

    const forged = await react('PUT', event, 'like', { 'x-feed-reader-token': 'e30.e30.bad' });
    expect([forged.statusCode, code(forged)]).toEqual([401, 'FEED_API_READER_INVALID']);
    const expired = await react('PUT', event, 'like', {
      'x-feed-reader-token': await tokenFor('e-late', '-1m'),
    });
    expect(expired.json().error.message).toBe('X-Feed-Reader-Token has expired');
    // The header from a peer that is no trusted proxy: refused, not taken as anonymous.
    const untrusted = await react('PUT', event, 'like', { 'x-feed-reader': 'e-ceo' });
    expect([untrusted.statusCode, code(untrusted)]).toEqual([401, 'FEED_API_READER_INVALID']);
    expect(untrusted.json().error.message).toContain('SERVICE_TRUSTED_PROXIES');
    // Reading with a bad identity is refused too.
    const reading = await app.inject({ url: '/events', headers: { 'x-feed-reader': 'e-ceo' } });
    expect(reading.statusCode).toBe(401);

    const reader = { 'x-feed-reader-token': await tokenFor('e-1') };
    const kind = await react('PUT', event, 'thumbsdown', reader);
    expect([kind.statusCode, code(kind)]).toEqual([400, 'FEED_API_BAD_REACTION']);
    const missing = await react('PUT', { source: 'hr', id: 'no-such-event' }, 'like', reader);
    expect([missing.statusCode, code(missing)]).toEqual([404, 'FEED_API_NOT_FOUND']);
    // Nothing of these reached the counts.
    expect((await listed(event)).item?.reactions).toEqual({});
  });
});
