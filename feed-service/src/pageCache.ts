import type { FeedPage } from './eventView.js';
import type { LiveFeed } from './liveFeed.js';

export interface PageCacheOptions {
  /** Most pages kept. Default 500. */
  maxEntries?: number;
  /** Most bytes of bodies kept. Default 32 MiB. */
  maxBytes?: number;
}

/**
 * Serialized pages of filtered and deeper reads, by query, until the feed changes. Every
 * change the live feed announces (an insert, a reaction, a hide or erase) empties it, so a
 * page is never served staler than the head of the feed. Readers asking for the same page at
 * once share one database read. While the live feed is not listening, changes could go
 * unseen, so every read goes to the database.
 */
export class PageCache {
  private readonly entries = new Map<string, FeedPage>();
  private readonly loading = new Map<string, Promise<FeedPage>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;
  private version = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly liveFeed: LiveFeed,
    options: PageCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 500;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.unsubscribe = liveFeed.onChange(() => this.clear());
  }

  /** The cached page, or the one `load` reads (cached if the feed did not change meanwhile). */
  get(key: string, load: () => Promise<FeedPage>): { page: Promise<FeedPage>; hit: boolean } {
    if (!this.liveFeed.listening) return { page: load(), hit: false };
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      // Least recently used goes first: move this one to the end.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return { page: Promise.resolve(cached), hit: true };
    }
    const pending = this.loading.get(key);
    if (pending !== undefined) return { page: pending, hit: true };
    const version = this.version;
    const page = load().then((result) => {
      // A read that started before a change may hold the old state: serve it, do not keep it.
      if (this.version === version) this.store(key, result);
      return result;
    });
    const settle = () => {
      if (this.loading.get(key) === page) this.loading.delete(key);
    };
    page.then(settle, settle);
    this.loading.set(key, page);
    return { page, hit: false };
  }

  clear(): void {
    this.version += 1;
    this.entries.clear();
    this.loading.clear();
    this.bytes = 0;
  }

  close(): void {
    this.unsubscribe();
    this.clear();
  }

  private store(key: string, page: FeedPage): void {
    if (page.body.length > this.maxBytes) return;
    this.entries.set(key, page);
    this.bytes += page.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, FeedPage];
      this.entries.delete(oldest);
      this.bytes -= evicted.body.length;
    }
  }
}
