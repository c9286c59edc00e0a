import { comparePositions, itemPosition, type FeedItem, type Position } from '@feed/store';
import { eventKey, type FeedPage } from './eventView.js';
import { followLiveFeed } from './followLiveFeed.js';
import type { LiveFeed } from './liveFeed.js';

export interface PageCacheOptions {
  /** Most pages kept. Default 500. */
  maxEntries?: number;
  /**
   * Most bytes kept: bodies (identity bytes; each coding adds a tenth or less) and the keys of
   * their events. Default 32 MiB.
   */
  maxBytes?: number;
}

/** What a kept event key costs beside its text: its place in the page's set. */
const KEY_OVERHEAD = 40;

interface Entry {
  page: FeedPage;
  /** The page's cursor: it holds only events older than this; undefined from the top. */
  before: Position | undefined;
  /** The events it shows (eventKey), or undefined when its read did not say. */
  events: ReadonlySet<string> | undefined;
  /** Bytes it counts for against maxBytes. */
  size: number;
}

interface Loading {
  page: Promise<FeedPage>;
  before: Position | undefined;
  /** A change may have reached what it reads: serve it, do not keep it. */
  stale: boolean;
}

/** A page can show an event at `position` when it reads from the top or from above it. */
function canHold(before: Position | undefined, position: Position): boolean {
  return before === undefined || comparePositions(before, position) > 0;
}

/**
 * Serialized pages of filtered and deeper reads, by query, until something they can show
 * changes. A reaction, a hide or an erasure names its event: it drops the pages that show
 * that event, and those whose events the read did not name; the rest stay, since a page below
 * the head is the first events below its cursor that match, and a change of an event it does
 * not show brings none in (nothing is unhidden). New events only ever appear above every
 * cursor the feed has handed out (it reads below the visibility horizon), so they drop only
 * the pages read from the top and those whose cursor is above the new events: the pages below
 * stay, as their ETags do. A read still under way when any change comes is served, not kept
 * (what it shows is not known yet). When the live feed starts listening again it empties it
 * too: a change may have gone unheard. Readers asking for the same page at once share one
 * database read. While the live feed is not listening, changes could go unseen, so every read
 * goes to the database.
 */
export class PageCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Loading>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;
  /** Items came since the live feed's last change call. */
  private readonly unfollow: () => void;

  constructor(
    private readonly liveFeed: LiveFeed,
    options: PageCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 500;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.unfollow = followLiveFeed(liveFeed, {
      items: (items) => this.noteItems(items),
      missed: () => this.clear(),
    });
  }

  /**
   * The cached page, or the one `load` reads (cached if nothing it can show changed
   * meanwhile). `before`: the page's cursor (undefined for a page from the top).
   */
  get(
    key: string,
    load: () => Promise<FeedPage>,
    before?: Position,
  ): { page: Promise<FeedPage>; hit: boolean } {
    if (!this.liveFeed.listening) return { page: load(), hit: false };
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      // Least recently used goes first: move this one to the end.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return { page: Promise.resolve(cached.page), hit: true };
    }
    const pending = this.loading.get(key);
    if (pending !== undefined) return { page: pending.page, hit: true };
    const loading: Loading = { page: load(), before, stale: false };
    loading.page = loading.page.then((result) => {
      // A read that started before a change may hold the old state: serve it, do not keep it.
      if (!loading.stale) this.store(key, result, before);
      return result;
    });
    const settle = () => {
      if (this.loading.get(key) === loading) this.loading.delete(key);
    };
    loading.page.then(settle, settle);
    this.loading.set(key, loading);
    return { page: loading.page, hit: false };
  }

  clear(): void {
    for (const loading of this.loading.values()) loading.stale = true;
    this.entries.clear();
    this.loading.clear();
    this.bytes = 0;
  }

  close(): void {
    this.unfollow();
    this.clear();
  }

  /** Drops what the items can have changed, as soon as the live feed hands them over. */
  private noteItems(items: readonly FeedItem[]): void {
    let lowest: Position | undefined;
    const changed = new Set<string>();
    for (const item of items) {
      if (item.kind !== 'event') {
        changed.add(eventKey(item.source, item.id));
        continue;
      }
      const position = itemPosition(item);
      if (lowest === undefined || comparePositions(position, lowest) < 0) lowest = position;
    }
    if (lowest === undefined && changed.size === 0) return;
    // A look at each page kept (at most maxEntries) per hand-over, for each event changed:
    // simpler to keep right than an index from events to pages, and as cheap for the few
    // changes a hand-over holds.
    const shows = (events: ReadonlySet<string>) => {
      for (const key of changed) if (events.has(key)) return true;
      return false;
    };
    const reached = (entry: Entry) =>
      (lowest !== undefined && canHold(entry.before, lowest)) ||
      (changed.size > 0 && (entry.events === undefined || shows(entry.events)));
    for (const [key, entry] of this.entries)
      if (reached(entry)) {
        this.entries.delete(key);
        this.bytes -= entry.size;
      }
    for (const [key, loading] of this.loading)
      if (changed.size > 0 || (lowest !== undefined && canHold(loading.before, lowest))) {
        loading.stale = true;
        this.loading.delete(key);
      }
  }

  private store(key: string, page: FeedPage, before: Position | undefined): void {
    const events = page.events === undefined ? undefined : new Set(page.events);
    let size = page.body.length;
    for (const event of events ?? []) size += event.length + KEY_OVERHEAD;
    if (size > this.maxBytes) return;
    this.entries.set(key, { page, before, events, size });
    this.bytes += size;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.bytes -= evicted.size;
    }
  }
}
