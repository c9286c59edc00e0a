import { describe, expect, it } from 'vitest';
import type { FeedPage } from '../src/eventView.js';
import type { LiveFeed } from '../src/liveFeed.js';
import { PageCache } from '../src/pageCache.js';

function fakeFeed() {
  const changes = new Set<() => void>();
  const feed = {
    listening: true,
    lastPosition: { xid: '0', seq: '0' },
    visibility: undefined,
    subscribe: () => () => {},
    onChange: (listener: () => void) => {
      changes.add(listener);
      return () => changes.delete(listener);
    },
    announceChange: async () => {},
    close: async () => {},
    change: () => changes.forEach((listener) => listener()),
  };
  return feed satisfies LiveFeed & { change(): void };
}

const page = (body: string): FeedPage => ({ body, etag: `"${body}"`, nextCursor: null });

describe('PageCache', () => {
  it('serves a page from memory until the feed changes', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    let reads = 0;
    const load = async () => page(`v${++reads}`);
    expect((await cache.get('k', load).page).body).toBe('v1');
    expect(cache.get('k', load).hit).toBe(true);
    expect((await cache.get('k', load).page).body).toBe('v1');
    feed.change();
    expect((await cache.get('k', load).page).body).toBe('v2');
    expect(reads).toBe(2);
  });

  it('shares one read among concurrent requests', async () => {
    const cache = new PageCache(fakeFeed());
    let reads = 0;
    const load = async () => page(`v${++reads}`);
    const results = await Promise.all([1, 2, 3].map(() => cache.get('k', load).page));
    expect(results.map((r) => r.body)).toEqual(['v1', 'v1', 'v1']);
    expect(reads).toBe(1);
  });

  it('does not keep a page read across a change', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    let release: () => void = () => {};
    const slow = () =>
      new Promise<FeedPage>((resolve) => {
        release = () => resolve(page('old'));
      });
    const first = cache.get('k', slow);
    feed.change();
    release();
    expect((await first.page).body).toBe('old');
    expect((await cache.get('k', async () => page('new')).page).body).toBe('new');
  });

  it('reads the database while the live feed is not listening', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    await cache.get('k', async () => page('cached')).page;
    feed.listening = false;
    expect((await cache.get('k', async () => page('fresh')).page).body).toBe('fresh');
  });

  it('evicts the least recently used page past its bounds', async () => {
    const cache = new PageCache(fakeFeed(), { maxEntries: 2 });
    await cache.get('a', async () => page('a')).page;
    await cache.get('b', async () => page('b')).page;
    cache.get('a', async () => page('a2'));
    await cache.get('c', async () => page('c')).page;
    expect(cache.get('a', async () => page('a3')).hit).toBe(true);
    expect(cache.get('b', async () => page('b2')).hit).toBe(false);
  });
});
