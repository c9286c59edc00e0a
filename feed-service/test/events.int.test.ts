import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { FeedEvent } from '@feed/contracts';
import { createPool, listEvents, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { toEventView, type EventView } from '../src/eventView.js';
import {
  apiSecurityHeaders,
  documentSecurityHeaders,
  transportSecurity,
} from '../src/plugins/security.js';
import { idleFeed, reaction, registered, store } from './feedFixtures.js';
import { metricValue } from './metricValue.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

interface Page {
  items: EventView[];
  nextCursor: string | null;
}

async function ready(instance: FastifyInstance) {
  await waitFor('the app to be ready', async () => {
    const response = await instance.inject('/readyz');
    return response.statusCode === 200;
  });
}

beforeAll(async () => {
  db = await createTestDatabase('service-events');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await ready(app);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

async function page(url: string): Promise<Page> {
  const response = await app.inject(url);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
}

/** Every page of a query, following nextCursor. */
async function walk(query: string, limit: number): Promise<EventView[]> {
  const items: EventView[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor !== null) params.set('cursor', cursor);
    const result = await page(`/events?${params.toString()}`);
    items.push(...result.items);
    cursor = result.nextCursor;
  } while (cursor !== null);
  return items;
}

const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);

describe('GET /events', () => {
  it('walks the whole feed with no gap and no duplicate while events are being inserted', async () => {
    const initial = Array.from({ length: 120 }, (_, i) =>
      registered(`Walker ${i}`, { source: 'walk' }),
    );
    await store(pool, initial);
    let inserting = true;
    const inserted: FeedEvent[] = [];
    const inserter = (async () => {
      while (inserting) {
        const batch = [
          registered('Late', { source: 'walk' }),
          registered('Late', { source: 'walk' }),
        ];
        await store(pool, batch);
        inserted.push(...batch);
      }
    })();
    const walked = await walk('source=walk', 7);
    inserting = false;
    await inserter;
    expect(inserted.length).toBeGreaterThan(0);
    // No duplicate, strictly newest first, every event stored before the walk began.
    expect(new Set(ids(walked)).size).toBe(walked.length);
    const walkedIds = new Set(ids(walked));
    expect(initial.filter((e) => !walkedIds.has(e.id))).toEqual([]);
    // Anything else walked was inserted meanwhile, never an unknown event.
    const insertedIds = new Set(ids(inserted));
    expect(
      walked.filter((e) => !insertedIds.has(e.id) && !initial.some((i) => i.id === e.id)),
    ).toEqual([]);
    expect(ids(walked).reverse().slice(0, initial.length)).toEqual(ids(initial));
  });

  it('gives the next page in a Link header, with the filters, and none on the last page', async () => {
    await store(
      pool,
      [1, 2, 3].map((i) => registered(`Linked ${i}`, { source: 'link' })),
    );
    const first = await app.inject('/events?source=link&limit=2');
    const body = first.json<Page>();
    expect(body.items).toHaveLength(2);
    expect(first.headers.link).toBe(
      `</events?source=link&limit=2&cursor=${body.nextCursor}>; rel="next"`,
    );
    const next = /^<([^>]+)>/.exec(String(first.headers.link))![1]!;
    const second = await app.inject(next);
    expect(second.json<Page>().items.map((i) => i.data)).toMatchObject([{ name: 'Linked 1' }]);
    expect(second.json<Page>().nextCursor).toBeNull();
    expect(second.headers.link).toBeUndefined();
  });

  it('filters by type (one or several), source, actor, subject and time', async () => {
    const base = Date.UTC(2025, 5, 1);
    const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
    const a = registered('Filter A', { source: 'flt', time: at(0), subject: 'person-a' });
    const b = registered('Filter B', { source: 'flt', time: at(10), subject: 'person-b' });
    const c: FeedEvent = {
      ...registered('Filter C', { source: 'flt', time: at(20), subject: 'person-b' }),
      type: 'department.renamed',
      data: { departmentId: 'd1', from: 'Sales', to: 'Revenue' },
    };
    const d: FeedEvent = {
      ...registered('Filter D', { source: 'flt', time: at(30), actor: 'boss' }),
      type: 'kudos.given',
      data: { text: 'thanks' },
    };
    await store(pool, [a, b, c, d]);
    const q = async (query: string) => ids((await page(`/events?source=flt&${query}`)).items);
    expect(await q('')).toEqual([d.id, c.id, b.id, a.id]);
    expect(await q('type=employee.registered')).toEqual([b.id, a.id]);
    expect(await q('type=department.renamed&type=kudos.given')).toEqual([d.id, c.id]);
    expect(await q('type=department.renamed,kudos.given')).toEqual([d.id, c.id]);
    expect(await q('actor=boss')).toEqual([d.id]);
    expect(await q('subject=person-b')).toEqual([c.id, b.id]);
    expect(await q(`since=${at(10)}`)).toEqual([d.id, c.id, b.id]);
    expect(await q(`until=${at(20)}`)).toEqual([b.id, a.id]);
    expect(await q(`since=${at(10)}&until=${at(30)}&type=employee.registered`)).toEqual([b.id]);
    expect(ids((await page('/events?source=nobody')).items)).toEqual([]);
    // Paging a filter keeps the filter.
    expect(ids(await walk('source=flt&subject=person-b', 1))).toEqual([c.id, b.id]);
  });

  it('carries reaction counts on each item', async () => {
    const target = registered('Reacted', { source: 'rx' });
    await store(pool, [target]);
    const key = { source: target.source, id: target.id };
    await store(pool, [
      reaction(key, 'like', 'u1'),
      reaction(key, 'like', 'u2'),
      reaction(key, 'fire', 'u1'),
    ]);
    const [item] = (await page('/events?source=rx')).items;
    expect(item).toMatchObject({
      id: target.id,
      source: 'rx',
      type: 'employee.registered',
      subject: target.subject,
      actor: null,
      reactions: { like: 2, fire: 1 },
    });
    expect(typeof item!.cursor).toBe('string');
  });

  it('builds database pages with the same fields and formats as the head of the feed', async () => {
    const target = registered(
      'Same shape',
      { source: 'shape', actor: 'someone' },
      { department: 'R&D "x"\n' },
    );
    await store(pool, [target, registered('Other', { source: 'shape' })]);
    await store(pool, [reaction({ source: 'shape', id: target.id }, 'like', 'u1')]);
    // Filtered: read and serialized by PostgreSQL.
    const fromDatabase = (await page('/events?source=shape&limit=5')).items;
    const expected = (await listEvents(pool, { source: 'shape', limit: 5 })).map(toEventView);
    expect(fromDatabase).toEqual(expected);
    expect(fromDatabase[1]).toMatchObject({ reactions: { like: 1 }, actor: 'someone' });
  });

  it('serves display names and extension attributes on database pages, the head and items', async () => {
    const named = registered('Named', {
      source: 'names',
      actor: 'hr-7',
      actorName: 'HR bot',
      subjectName: 'Named Person',
      extensions: { summary: 'Named joined Platform' },
    });
    await store(pool, [registered('Unnamed', { source: 'names' }), named]);
    const expected = {
      id: named.id,
      actor: 'hr-7',
      actorName: 'HR bot',
      subject: named.subject,
      subjectName: 'Named Person',
      extensions: { summary: 'Named joined Platform' },
    };
    const fromDatabase = (await page('/events?source=names')).items;
    expect(fromDatabase[0]).toMatchObject(expected);
    expect(fromDatabase[1]).toMatchObject({ actorName: null, subjectName: null, extensions: {} });
    expect(fromDatabase).toEqual(
      (await listEvents(pool, { source: 'names', limit: 5 })).map(toEventView),
    );
    const head = await waitFor('the head to show the event', async () => {
      const result = await page('/events');
      return result.items[0]?.id === named.id ? result : false;
    });
    expect(head.items[0]).toMatchObject(expected);
    const one = await app.inject(`/events/${named.id}?source=names`);
    expect(one.json()).toMatchObject(expected);
    // The actor filter matches the id, not the display name.
    expect(ids((await page('/events?actor=HR%20bot')).items)).toEqual([]);
    expect(ids((await page('/events?actor=hr-7')).items)).toEqual([named.id]);
  });

  it('serves the head of the feed from memory, refreshed on NOTIFY', async () => {
    const before = await app.inject('/metrics');
    const hits = (text: string) =>
      Number(/^feed_head_cache_hits_total (\d+)/m.exec(text)?.[1] ?? 0);
    const fresh = registered('Head news');
    await store(pool, [fresh]);
    const head = await waitFor('the head to show the new event', async () => {
      const result = await page('/events');
      return result.items[0]?.id === fresh.id ? result : false;
    });
    expect(head.items).toHaveLength(20);
    const after = await app.inject('/metrics');
    expect(hits(after.body)).toBeGreaterThan(hits(before.body));
    const two = await app.inject('/events?limit=2');
    expect(two.headers.link).toBe(
      `</events?limit=2&cursor=${two.json<Page>().nextCursor}>; rel="next"`,
    );
    expect(two.headers['cache-control']).toBe('no-cache');
    expect(two.headers.vary).toBe('Accept-Encoding');
  });

  it('reads every page from the database with SERVICE_MEMORY_CACHE=false', async () => {
    // A live feed that never announces a change: memory would keep serving the first read.
    const uncached = await buildApp({
      config: loadConfig({ DATABASE_URL: db.url, SERVICE_MEMORY_CACHE: 'false' }),
      pool,
      liveFeed: idleFeed,
    });
    try {
      // The head of the feed, then a filtered page.
      for (const source of [undefined, 'uncached']) {
        const url = source === undefined ? '/events?limit=1' : `/events?limit=1&source=${source}`;
        expect((await uncached.inject(url)).statusCode).toBe(200);
        const fresh = registered('Uncached', source === undefined ? {} : { source });
        await store(pool, [fresh]);
        expect((await uncached.inject(url)).json<Page>().items.map((e) => e.id)).toEqual([
          fresh.id,
        ]);
      }
    } finally {
      await uncached.close();
    }
  });

  it('answers 304 to a matching If-None-Match and a new ETag after a change', async () => {
    const target = registered('Etag');
    await store(pool, [target]);
    const first = await waitFor('the head to show the event', async () => {
      const response = await app.inject('/events?limit=1');
      return response.json<Page>().items[0]?.id === target.id ? response : false;
    });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await app.inject({ url: '/events?limit=1', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    // A filtered (database) page has an ETag too.
    const filtered = await app.inject(`/events?source=${target.source}&limit=1`);
    const filteredAgain = await app.inject({
      url: `/events?source=${target.source}&limit=1`,
      headers: { 'if-none-match': `W/${filtered.headers.etag}, "other"` },
    });
    expect(filteredAgain.statusCode).toBe(304);
    // A reaction changes the counts, so the page and its tag.
    await store(pool, [reaction({ source: target.source, id: target.id }, 'fire', 'u9')]);
    await waitFor('a new ETag', async () => {
      const response = await app.inject({
        url: '/events?limit=1',
        headers: { 'if-none-match': etag },
      });
      return response.statusCode === 200;
    });
    // Items have ETags as well.
    const item = await app.inject(`/events/${target.id}?source=${target.source}`);
    expect(item.statusCode).toBe(200);
    const itemAgain = await app.inject({
      url: `/events/${target.id}?source=${target.source}`,
      headers: { 'if-none-match': item.headers.etag as string },
    });
    expect(itemAgain.statusCode).toBe(304);
  });

  it('keeps a page below the head in memory through changes of other events, and not of its own', async () => {
    const events = Array.from({ length: 6 }, (_, i) => registered(`Kept ${i}`, { source: 'kept' }));
    await store(pool, events);
    const hits = () => metricValue(app, 'feed_page_cache_hits_total');
    // Once the live feed has handed them over (the head shows the newest), no page read from
    // here is dropped for being above new events.
    await waitFor('the head to show the events', async () => {
      return (await page('/events?limit=1')).items[0]?.id === events.at(-1)!.id;
    });
    const first = await page('/events?source=kept&limit=3');
    expect(first.nextCursor).not.toBeNull();
    const below = `/events?source=kept&limit=3&cursor=${first.nextCursor}`;
    const older = await app.inject(below);
    const olderIds = ids(older.json<Page>().items);
    expect(olderIds).toEqual([events[2]!.id, events[1]!.id, events[0]!.id]);
    const olderTag = older.headers.etag as string;

    // A reaction to an event of the first page, stored as the worker stores it.
    const newest = events[5]!;
    await store(pool, [reaction({ source: newest.source, id: newest.id }, 'fire', 'u-kept')]);
    await waitFor('the first page counts the reaction', async () => {
      const result = await page('/events?source=kept&limit=3');
      return result.items[0]?.reactions.fire === 1;
    });
    // The page below does not show that event: it is still served from memory, same bytes.
    const before = await hits();
    const kept = await app.inject({ url: below, headers: { 'if-none-match': olderTag } });
    expect(kept.statusCode).toBe(304);
    expect(await hits()).toBe(before + 1);

    // A reaction to one of its own events changes it.
    const own = events[1]!;
    await store(pool, [reaction({ source: own.source, id: own.id }, 'fire', 'u-kept')]);
    const changed = await waitFor('the page below counts its reaction', async () => {
      const response = await app.inject({ url: below, headers: { 'if-none-match': olderTag } });
      return response.statusCode === 200 ? response : false;
    });
    expect(changed.json<Page>().items[1]?.reactions).toEqual({ fire: 1 });
    expect(changed.headers.etag).not.toBe(olderTag);
  });

  it.each([
    ['limit=0', 400, 'FEED_API_BAD_LIMIT', 'limit'],
    ['limit=101', 400, 'FEED_API_BAD_LIMIT', 'limit'],
    ['limit=abc', 400, 'FEED_API_BAD_LIMIT', 'limit'],
    ['limit=2.5', 400, 'FEED_API_BAD_LIMIT', 'limit'],
    ['limit=1&limit=2', 400, 'FEED_API_BAD_LIMIT', 'limit'],
    ['cursor=!!', 400, 'FEED_API_BAD_CURSOR', 'cursor'],
    ['cursor=abc', 400, 'FEED_API_BAD_CURSOR', 'cursor'],
    [`cursor=${'a'.repeat(41)}`, 400, 'FEED_API_BAD_CURSOR', 'cursor'],
    ['type=not%20a%20type', 400, 'FEED_API_BAD_TYPE', 'type'],
    ['type=a,,b', 400, 'FEED_API_BAD_TYPE', 'type'],
    [
      `type=${Array.from({ length: 21 }, (_, i) => `t${i}`).join(',')}`,
      400,
      'FEED_API_BAD_TYPE',
      'type',
    ],
    ['source=', 400, 'FEED_API_BAD_FILTER', 'source'],
    [`actor=${'x'.repeat(201)}`, 400, 'FEED_API_BAD_FILTER', 'actor'],
    ['subject=', 400, 'FEED_API_BAD_FILTER', 'subject'],
    ['since=yesterday', 400, 'FEED_API_BAD_TIME', 'since'],
    ['until=2026-13-01T00:00:00Z', 400, 'FEED_API_BAD_TIME', 'until'],
    [
      'since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
      400,
      'FEED_API_BAD_TIME_RANGE',
      'until',
    ],
    ['types=a', 400, 'FEED_API_UNKNOWN_PARAM', 'types'],
    [`source=${'s'.repeat(3000)}`, 414, 'FEED_API_QUERY_TOO_LONG', undefined],
  ])('GET /events?%s → %i %s', async (query, status, code, param) => {
    const response = await app.inject(`/events?${query}`);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({
      error: { code, message: expect.any(String), ...(param === undefined ? {} : { param }) },
    });
  });
});

describe('GET /events/:id', () => {
  it('returns the event, 404 for an unknown id, 409 when several sources use the id', async () => {
    const one = registered('Shared one', { id: 'shared-1', source: 'alpha' });
    const two = registered('Shared two', { id: 'shared-1', source: 'beta' });
    await store(pool, [one, two]);
    const ambiguous = await app.inject('/events/shared-1');
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json().error).toMatchObject({
      code: 'FEED_API_AMBIGUOUS_ID',
      param: 'source',
    });
    const beta = await app.inject('/events/shared-1?source=beta');
    expect(beta.statusCode).toBe(200);
    expect(beta.json()).toMatchObject({
      id: 'shared-1',
      source: 'beta',
      data: { name: 'Shared two' },
    });
    const unique = registered('Unique');
    await store(pool, [unique]);
    expect((await app.inject(`/events/${unique.id}`)).json()).toMatchObject({ id: unique.id });
    const missing = await app.inject('/events/no-such-event');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('FEED_API_NOT_FOUND');
    const badQuery = await app.inject('/events/x?src=a');
    expect(badQuery.json().error).toMatchObject({ code: 'FEED_API_UNKNOWN_PARAM', param: 'src' });
  });

  it('answers unknown routes in the same error shape', async () => {
    const response = await app.inject('/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('FEED_API_ROUTE_NOT_FOUND');
  });
});

describe('read auth', () => {
  it('is off without tokens and on with them', async () => {
    const token = 'read-token-0123456789';
    const guarded = await buildApp({
      config: loadConfig({
        DATABASE_URL: db.url,
        SERVICE_MEMORY_CACHE: 'false',
        SERVICE_READ_TOKENS: `other-token-0123456789,${token}`,
      }),
      pool,
      liveFeed: idleFeed,
    });
    try {
      const missing = await guarded.inject('/events');
      expect(missing.statusCode).toBe(401);
      expect(missing.json().error.code).toBe('FEED_API_AUTH_MISSING');
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="feed"');
      const wrong = await guarded.inject({
        url: '/events',
        headers: { authorization: 'Bearer wrong-token-0123456789' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('FEED_API_AUTH_INVALID');
      const right = await guarded.inject({
        url: '/events',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(right.statusCode).toBe(200);
      const stream = await guarded.inject('/events/stream');
      expect(stream.statusCode).toBe(401);
      const item = await guarded.inject('/events/x');
      expect(item.statusCode).toBe(401);
      // Health stays open for the orchestrator.
      expect((await guarded.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
    expect((await app.inject('/events?limit=1')).statusCode).toBe(200);
  });
});

describe('rate limit', () => {
  it('answers 429 with its code past the limit', async () => {
    const limited = await buildApp({
      config: loadConfig({
        DATABASE_URL: db.url,
        SERVICE_MEMORY_CACHE: 'false',
        SERVICE_RATE_LIMIT_MAX: '3',
      }),
      pool,
      liveFeed: idleFeed,
    });
    try {
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push(await limited.inject('/events?limit=1'));
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 429]);
      expect(answers.map((answer) => answer.headers['x-ratelimit-remaining'])).toEqual([
        '2',
        '1',
        '0',
        '0',
      ]);
      expect(answers[0]!.headers['x-ratelimit-limit']).toBe('3');
      expect(Number(answers[0]!.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      const response = await limited.inject('/events?limit=1');
      expect(response.json().error.code).toBe('FEED_API_RATE_LIMITED');
      expect(response.json().error.message).toMatch(
        /^rate limit of 3 requests per minute for address 127\.0\.0\.1 exceeded \(SERVICE_RATE_LIMIT_MAX\); retry in \d+ s/,
      );
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['cache-control']).toBe('no-store');
      expect((await limited.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('security headers and CORS', () => {
  it('sends security headers and allows only the configured portal origins', async () => {
    const portal = 'https://portal.example.com';
    const withCors = await buildApp({
      config: loadConfig({
        DATABASE_URL: db.url,
        SERVICE_MEMORY_CACHE: 'false',
        SERVICE_CORS_ORIGINS: portal,
      }),
      pool,
      liveFeed: idleFeed,
    });
    try {
      const allowed = await withCors.inject({
        method: 'OPTIONS',
        url: '/events',
        headers: { origin: portal, 'access-control-request-method': 'GET' },
      });
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe(portal);
      const simple = await withCors.inject({ url: '/events?limit=1', headers: { origin: portal } });
      expect(simple.headers['access-control-allow-origin']).toBe(portal);
      expect(simple.headers['access-control-expose-headers']).toContain('ETag');
      const other = await withCors.inject({
        url: '/events?limit=1',
        headers: { origin: 'https://evil.example.com' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await withCors.close();
    }
    const response = await app.inject({
      url: '/events?limit=1',
      headers: { origin: 'https://portal.example.com' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("gives JSON answers the API's security headers, and documents helmet's", async () => {
    const securityOf = (headers: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(headers).filter(([name]) => name in documentSecurityHeaders),
      );
    // JSON answers, errors and the router's 404 included: the JSON set and nothing of the
    // documents' (which steer how a browser renders a page: a JSON body is never one).
    for (const url of ['/events?limit=1', '/events?type=nope', '/nothing-here', '/openapi.json']) {
      const answer = await app.inject(url);
      expect(answer.headers['content-type'], url).toMatch(/^application\/json/);
      expect(securityOf(answer.headers), url).toEqual(apiSecurityHeaders);
    }
    // The live page and Swagger UI are documents: helmet's eleven (its HSTS only over HTTPS,
    // below), the page with its own CSP, Swagger UI with the one that allows its inline script.
    const page = await app.inject('/');
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(securityOf(page.headers)).toEqual(documentSecurityHeaders);
    const docs = await app.inject('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(securityOf(docs.headers)).sort()).toEqual(
      Object.keys(documentSecurityHeaders).sort(),
    );
    expect(docs.headers['referrer-policy']).toBe('no-referrer');
  });

  it('sends HSTS only on answers that went out over HTTPS, as a trusted proxy says', async () => {
    const hsts = (headers: Record<string, unknown>) => headers[transportSecurity.name];
    // The service's own socket is plain HTTP: no HSTS, whatever the request claims.
    for (const url of ['/events?limit=1', '/nothing-here', '/']) {
      expect(hsts((await app.inject(url)).headers), url).toBeUndefined();
      const claimed = await app.inject({ url, headers: { 'x-forwarded-proto': 'https' } });
      expect(hsts(claimed.headers), url).toBeUndefined();
    }
    // Behind a trusted proxy (light-my-request's peer is 127.0.0.1), its X-Forwarded-Proto.
    const proxied = await buildApp({
      config: loadConfig({
        DATABASE_URL: db.url,
        SERVICE_MEMORY_CACHE: 'false',
        SERVICE_TRUSTED_PROXIES: '127.0.0.1',
      }),
      pool,
      liveFeed: idleFeed,
    });
    try {
      for (const url of ['/events?limit=1', '/nothing-here', '/', '/docs/']) {
        const secure = await proxied.inject({ url, headers: { 'x-forwarded-proto': 'https' } });
        expect(hsts(secure.headers), url).toBe(transportSecurity.value);
        const plain = await proxied.inject({ url, headers: { 'x-forwarded-proto': 'http' } });
        expect(hsts(plain.headers), url).toBeUndefined();
      }
    } finally {
      await proxied.close();
    }
  });
});
