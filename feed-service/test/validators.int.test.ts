import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { FeedEvent } from '@feed/contracts';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { EventView } from '../src/eventView.js';
import { reaction, registered, store } from './feedFixtures.js';

const adminToken = 'admin-token-validators-0123456789';
const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
const encodings = ['identity', 'gzip', 'br'] as const;

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let base: string;
let events: FeedEvent[];
let target: FeedEvent;

beforeAll(async () => {
  db = await createTestDatabase('service-validators');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({
    config: loadConfig({ DATABASE_URL: db.url, SERVICE_ADMIN_TOKEN: adminToken }),
    pool,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await waitFor('the app to be ready', async () => (await fetch(`${base}/readyz`)).ok);
  const summary = 'Every change must reach the validator of each page that shows it. '.repeat(16);
  events = Array.from({ length: 30 }, (_, i) =>
    registered(`Validated ${i}`, { source: 'validated', subject: `validated-${i}` }, { summary }),
  );
  await store(pool, events);
  // Newest first: the 15th newest is on the head, the filtered page and the second page.
  target = events[15]!;
  await waitFor(
    'the head to hold the events',
    async () => (await items('/events?limit=30')).length === 30,
  );
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

interface Answer {
  status: number;
  etag: string | null;
  text: string;
}

/** Node's fetch asking for one coding; it decodes what it gets. */
async function get(path: string, encoding: string, ifNoneMatch?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'accept-encoding': encoding };
  if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
  const response = await fetch(`${base}${path}`, { headers });
  const text = await response.text();
  if (response.status === 200 && encoding !== 'identity')
    expect(response.headers.get('content-encoding'), path).toBe(encoding);
  return { status: response.status, etag: response.headers.get('etag'), text };
}

async function items(path: string): Promise<EventView[]> {
  return (JSON.parse((await get(path, 'identity')).text) as { items: EventView[] }).items;
}

async function cursorAfter(limit: number): Promise<string> {
  const answer = await get(`/events?limit=${limit}`, 'identity');
  return (JSON.parse(answer.text) as { nextCursor: string }).nextCursor;
}

/** The ETag of each coding of a path. */
async function validators(path: string): Promise<Map<string, string>> {
  const tags = new Map<string, string>();
  for (const encoding of encodings) {
    const answer = await get(path, encoding);
    expect(answer.status, path).toBe(200);
    tags.set(encoding, answer.etag!);
  }
  expect(new Set(tags.values()).size).toBe(3);
  return tags;
}

const shown = (text: string) => {
  const value = JSON.parse(text) as { items?: EventView[] } & Partial<EventView>;
  return value.items === undefined ? [value as EventView] : value.items;
};
const targetIn = (text: string) => shown(text).find((item) => item.id === target.id);

describe('validators under every change', () => {
  it('a reaction, an erasure and a hide give every page holding the event a new ETag in every coding, and keep the others', async () => {
    const holding = [
      '/events?limit=20',
      '/events?limit=20&source=validated',
      `/events?limit=10&cursor=${await cursorAfter(10)}`,
      `/events/${target.id}?source=validated`,
    ];
    // Events 21 to 25 newest: below the target, untouched by every change here.
    const below = `/events?limit=5&cursor=${await cursorAfter(20)}`;
    for (const path of holding.slice(0, 3))
      expect(targetIn((await get(path, 'identity')).text), path).toBeDefined();
    expect(targetIn((await get(below, 'identity')).text)).toBeUndefined();

    const changes: Array<{
      name: string;
      apply: () => Promise<void>;
      shows: (item: EventView | undefined) => boolean;
    }> = [
      {
        name: 'a reaction',
        // Stored as the worker stores it: storeEvents applies the reaction to the counts.
        apply: async () => {
          await store(pool, [reaction(target, 'like', 'validated-fan')]);
        },
        shows: (item) => item?.reactions.like === 1,
      },
      {
        name: 'the erasure of the person who reacted',
        apply: async () => {
          const response = await fetch(`${base}/admin/erasures`, {
            method: 'POST',
            headers: admin,
            // Parked messages are erasureParked.int.test.ts's: this app has no broker of its own.
            body: JSON.stringify({ person: 'validated-fan', parked: false }),
          });
          expect(response.status, await response.text()).toBe(200);
        },
        shows: (item) => item !== undefined && item.reactions.like === undefined,
      },
      {
        name: 'a hide',
        apply: async () => {
          const response = await fetch(`${base}/events/${target.id}?source=validated`, {
            method: 'DELETE',
            headers: { authorization: admin.authorization },
          });
          expect(response.status, await response.text()).toBe(200);
        },
        shows: (item) => item === undefined,
      },
    ];
    for (const change of changes) {
      const before = new Map<string, Map<string, string>>();
      for (const path of holding) before.set(path, await validators(path));
      const belowBefore = await validators(below);
      await change.apply();
      await waitFor(`${change.name} to reach the head`, async () =>
        change.shows(targetIn((await get(holding[0]!, 'identity')).text)),
      );
      for (const path of holding) {
        for (const encoding of encodings) {
          const old = before.get(path)!.get(encoding)!;
          const answer = await get(path, encoding, old);
          const hidden = change.name === 'a hide' && path.startsWith(`/events/${target.id}`);
          if (hidden) {
            expect(answer.status, `${change.name}: ${path} ${encoding}`).toBe(404);
            continue;
          }
          expect(answer.status, `${change.name}: ${path} ${encoding}`).toBe(200);
          expect(answer.etag).not.toBe(old);
          expect(change.shows(targetIn(answer.text)), `${change.name}: ${path} ${encoding}`).toBe(
            true,
          );
        }
      }
      for (const encoding of encodings) {
        const answer = await get(below, encoding, belowBefore.get(encoding)!);
        expect(answer.status, `${change.name}: the page below, ${encoding}`).toBe(304);
        expect(answer.etag).toBe(belowBefore.get(encoding));
      }
    }
  });

  it('gives every answer of the feed its Cache-Control, and errors no-store', async () => {
    for (const path of ['/events?limit=20', `/events?limit=5&cursor=${await cursorAfter(5)}`]) {
      const response = await fetch(`${base}${path}`);
      await response.arrayBuffer();
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
    const missing = await fetch(`${base}/events/no-such-event?source=validated`, {
      headers: { 'if-none-match': '*' },
    });
    await missing.arrayBuffer();
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(missing.headers.get('etag')).toBeNull();
    const bad = await fetch(`${base}/events?cursor=not-a-cursor`);
    await bad.arrayBuffer();
    expect(bad.status).toBe(400);
    expect(bad.headers.get('cache-control')).toBe('no-store');
  });
});
