import { describe, expect, it } from 'vitest';
import type { FeedItem, StoredEvent } from '@feed/store';
import { eventKey, type FeedPage } from '../src/eventView.js';
import { PageCache } from '../src/pageCache.js';
import { fakeFeed } from './fakeLiveFeed.js';

const at = (xid: string, seq: string) => ({ xid, seq });
const newEvent = (xid: string, seq: string): FeedItem => ({
  kind: 'event',
  event: { xid, seq } as StoredEvent,
});

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

  it('keeps the pages below new events, and drops those from the top and those above them', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    await cache.get('top', async () => page('top')).page;
    await cache.get('deep', async () => page('deep'), at('500', '3')).page;
    await cache.get('above', async () => page('above'), at('900', '1')).page;
    feed.deliver([newEvent('700', '2'), newEvent('600', '9')]);
    expect(cache.get('deep', async () => page('deep2'), at('500', '3')).hit).toBe(true);
    expect(cache.get('top', async () => page('top2')).hit).toBe(false);
    expect(cache.get('above', async () => page('above2'), at('900', '1')).hit).toBe(false);
    // Positions compare as numbers: transaction 1000 is above 999.
    await cache.get('just below', async () => page('b'), at('999', '1')).page;
    feed.deliver([newEvent('1000', '1')]);
    expect(cache.get('just below', async () => page('b2'), at('999', '1')).hit).toBe(true);
  });

  it('drops on a reaction, hide or erasure the pages that show its event, and keeps the rest', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    const shows = (body: string, events: string[]) => async () => ({ ...page(body), events });
    const change = (kind: 'reactions' | 'removed', id: string) =>
      ({ kind, xid: '701', seq: '1', source: 's', id, match: {} }) as FeedItem;
    await cache.get('a', shows('a', [eventKey('s', 'e1'), eventKey('s', 'e2')]), at('500', '3'))
      .page;
    await cache.get('b', shows('b', [eventKey('s', 'e3')]), at('400', '1')).page;
    await cache.get('unknown', async () => page('u'), at('300', '1')).page;
    feed.deliver([change('reactions', 'e9')]);
    expect(cache.get('a', shows('a2', []), at('500', '3')).hit).toBe(true);
    expect(cache.get('b', shows('b2', []), at('400', '1')).hit).toBe(true);
    // A page whose read did not name its events cannot tell: it goes.
    expect(cache.get('unknown', async () => page('u2'), at('300', '1')).hit).toBe(false);
    feed.deliver([change('reactions', 'e2')]);
    expect(cache.get('a', shows('a3', []), at('500', '3')).hit).toBe(false);
    expect(cache.get('b', shows('b3', []), at('400', '1')).hit).toBe(true);
    feed.deliver([change('removed', 'e3')]);
    expect(cache.get('b', shows('b4', []), at('400', '1')).hit).toBe(false);
    // The same id from another source is another event.
    await cache.get('c', shows('c', [eventKey('s', 'e5')]), at('200', '1')).page;
    feed.deliver([{ ...change('removed', 'e5'), source: 't' } as FeedItem]);
    expect(cache.get('c', shows('c2', []), at('200', '1')).hit).toBe(true);
  });

  it('counts the keys of its pages against its byte bound', async () => {
    const cache = new PageCache(fakeFeed(), { maxBytes: 1000 });
    const keys = Array.from({ length: 30 }, (_, i) => eventKey('source', `event-${i}`));
    await cache.get('many', async () => ({ ...page('small body'), events: keys })).page;
    expect(cache.get('many', async () => page('again')).hit).toBe(false);
    await cache.get('few', async () => ({ ...page('small body'), events: keys.slice(0, 5) })).page;
    expect(cache.get('few', async () => page('again')).hit).toBe(true);
  });

  it('does not keep a read in flight across a change of any event', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    let release: () => void = () => {};
    const slow = () =>
      new Promise<FeedPage>((resolve) => {
        release = () => resolve({ ...page('old'), events: [eventKey('s', 'e1')] });
      });
    const first = cache.get('k', slow, at('500', '3'));
    feed.deliver([
      { kind: 'reactions', xid: '701', seq: '1', source: 's', id: 'e7', match: {} } as FeedItem,
    ]);
    release();
    expect((await first.page).body).toBe('old');
    expect(cache.get('k', async () => page('new'), at('500', '3')).hit).toBe(false);
  });

  it('drops the pages that did not name their events on any change, and all when the live feed listens again', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    await cache.get('deep', async () => page('deep'), at('500', '3')).page;
    feed.deliver([
      newEvent('700', '1'),
      { kind: 'reactions', xid: '701', seq: '1', source: 's', id: 'e', match: {} } as FeedItem,
    ]);
    expect(cache.get('deep', async () => page('deep2'), at('500', '3')).hit).toBe(false);
    await cache.get('deep', async () => page('deep3'), at('500', '3')).page;
    feed.change();
    expect(cache.get('deep', async () => page('deep4'), at('500', '3')).hit).toBe(false);
  });

  it('does not keep a read in flight that new events can reach, and keeps one below them', async () => {
    const feed = fakeFeed();
    const cache = new PageCache(feed);
    const releases: Array<() => void> = [];
    const slow = (body: string) => () =>
      new Promise<FeedPage>((resolve) => releases.push(() => resolve(page(body))));
    const top = cache.get('top', slow('top'));
    const deep = cache.get('deep', slow('deep'), at('500', '3'));
    feed.deliver([newEvent('700', '1')]);
    releases.forEach((release) => release());
    expect((await top.page).body).toBe('top');
    expect((await deep.page).body).toBe('deep');
    expect(cache.get('top', async () => page('top2')).hit).toBe(false);
    expect(cache.get('deep', async () => page('deep2'), at('500', '3')).hit).toBe(true);
  });
});
