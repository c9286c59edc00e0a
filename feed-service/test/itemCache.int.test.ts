import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  hideEvent,
  listPagePositions,
  type FeedItem,
  type Pool,
  type Queryable,
} from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';
import { eventKey } from '../src/eventView.js';
import { ItemCache } from '../src/itemCache.js';
import { fakeFeed } from './fakeLiveFeed.js';
import { reaction, registered, store } from './feedFixtures.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('service-item-cache');
  pool = createPool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** An item cache on a live feed the test drives, counting where its items came from. */
function itemCache(maxBytes?: number) {
  const feed = fakeFeed();
  const counts = { memory: 0, database: 0 };
  const cache = new ItemCache(feed, {
    maxBytes,
    onRead: (memory, database) => {
      counts.memory += memory;
      counts.database += database;
    },
  });
  return { feed, cache, counts };
}

const reactionsChange = (source: string, id: string): FeedItem =>
  ({ kind: 'reactions', xid: '1', seq: '1', source, id, match: {} }) as unknown as FeedItem;

type Item = { id: string; reactions: Record<string, number> };
const items = (rows: { item: string }[]) => rows.map((row) => JSON.parse(row.item) as Item);

describe('ItemCache', () => {
  it('serves the items it read until a change names their event, as the worker stores them', async () => {
    const [anna, oleg] = await store(pool, [registered('Anna'), registered('Oleg')]);
    const seqs = [oleg!.seq, anna!.seq];
    const { feed, cache, counts } = itemCache();
    expect(items(await cache.rows(pool, seqs)).map((item) => item.id)).toEqual([
      oleg!.id,
      anna!.id,
    ]);
    expect(counts).toEqual({ memory: 0, database: 2 });
    await cache.rows(pool, seqs);
    expect(counts).toEqual({ memory: 2, database: 2 });

    // A reaction stored as the worker stores it: kept items are stale until the change comes.
    await store(pool, [reaction({ source: anna!.source, id: anna!.id }, '🔥', 'p-1')]);
    feed.deliver([reactionsChange(anna!.source, anna!.id)]);
    const [, fresh] = items(await cache.rows(pool, seqs));
    expect(fresh!.reactions).toEqual({ '🔥': 1 });
    expect(counts).toEqual({ memory: 3, database: 3 });

    // The live feed listening again (a change call with no items): everything goes.
    feed.change();
    await cache.rows(pool, seqs);
    expect(counts).toEqual({ memory: 3, database: 5 });
  });

  it('serves but does not keep what it read while a change came', async () => {
    const [event] = await store(pool, [registered('Maria')]);
    const { feed, cache, counts } = itemCache();
    // The change arrives while the read is under way.
    const during: Queryable = {
      query: (async (config: never) => {
        const result = await pool.query(config);
        feed.deliver([reactionsChange(event!.source, event!.id)]);
        return result;
      }) as unknown as Queryable['query'],
    };
    expect(await cache.rows(during, [event!.seq])).toHaveLength(1);
    await cache.rows(pool, [event!.seq]);
    expect(counts).toEqual({ memory: 0, database: 2 });
  });

  it('keeps to its bound, giving a second chance to the items read again', async () => {
    const stored = await store(
      pool,
      Array.from({ length: 4 }, (_, i) => registered(`Bound ${i}`)),
    );
    const [a, b, c, d] = stored.map((inserted) => inserted.seq);
    const { cache, counts } = itemCache(1);
    const size = (await cache.rows(pool, [a!]))[0]!.item.length + 120;
    // Room for two items: a and b kept; a read again, so c takes b's place.
    const two = itemCache(2 * size);
    await two.cache.rows(pool, [a!, b!]);
    await two.cache.rows(pool, [a!]);
    await two.cache.rows(pool, [c!]);
    two.counts.memory = two.counts.database = 0;
    await two.cache.rows(pool, [a!, c!]);
    expect(two.counts).toEqual({ memory: 2, database: 0 });
    await two.cache.rows(pool, [b!]);
    expect(two.counts).toEqual({ memory: 2, database: 1 });
    // An item larger than the bound is served and not kept.
    await cache.rows(pool, [d!]);
    await cache.rows(pool, [d!]);
    expect(counts).toEqual({ memory: 0, database: 3 });
  });

  it('reads a page by its positions, items from memory, with the cursor of its last position', async () => {
    await pool.query('truncate feed_events');
    await store(
      pool,
      Array.from({ length: 5 }, (_, i) => registered(`Page ${i}`, { source: 'paged' })),
    );
    const { cache, counts } = itemCache();
    const first = await cache.page(pool, { source: 'paged', limit: 3 });
    const positions = await listPagePositions(pool, { source: 'paged', limit: 3 });
    expect(first.next).toEqual(positions[2]);
    const again = await cache.page(pool, { source: 'paged', limit: 3 });
    expect(again).toEqual(first);
    // It names the events it shows, as a change names them.
    expect(first.events).toEqual(
      (JSON.parse(first.items) as Array<{ source: string; id: string }>).map((item) =>
        eventKey(item.source, item.id),
      ),
    );
    expect(counts).toEqual({ memory: 3, database: 3 });
    const rest = await cache.page(pool, { source: 'paged', limit: 3, before: first.next! });
    expect(rest.next).toBeNull();
    expect(JSON.parse(rest.items)).toHaveLength(2);
  });

  it('names no events for a page whose event was hidden between its two reads', async () => {
    const stored = await store(
      pool,
      Array.from({ length: 3 }, (_, i) => registered(`Hidden ${i}`, { source: 'hidden-between' })),
    );
    const { cache } = itemCache();
    let reads = 0;
    // The hide commits after the positions were read and before the items are.
    const between: Queryable = {
      query: (async (config: never) => {
        const result = await pool.query(config);
        if (++reads === 1) await hideEvent(pool, { source: 'hidden-between', id: stored[1]!.id });
        return result;
      }) as unknown as Queryable['query'],
    };
    const page = await cache.page(between, { source: 'hidden-between', limit: 3 });
    expect(JSON.parse(page.items)).toHaveLength(2);
    expect(page.events).toBeUndefined();
  });
});
