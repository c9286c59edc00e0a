import type { FastifyBaseLogger } from 'fastify';
import { listEvents, type Queryable, type StoredEvent } from '@feed/store';
import { serializePage, type FeedPage } from './eventView.js';
import type { LiveFeed } from './liveFeed.js';
import type { PreparedOptions, SendBodyOptions } from './sendBody.js';

/** The most events the head keeps: a page of the largest `limit`, plus one to know "more". */
export const headSize = 101;

/**
 * The first page of the unfiltered feed, the page most readers ask for, kept in memory and
 * re-read after every NOTIFY, so the morning rush reads memory, not the database. Each
 * `limit` is serialized (body and ETag) once per version.
 *
 * It answers only while the live feed is listening: without NOTIFYs it could go stale, and
 * then the routes read the database instead.
 */
export class HeadCache {
  private rows: readonly StoredEvent[] | undefined;
  private pages = new Map<number, FeedPage>();
  private refreshing = false;
  private refreshAgain = false;
  private version = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly pool: Queryable,
    private readonly liveFeed: LiveFeed,
    private readonly logger: Pick<FastifyBaseLogger, 'warn'>,
  ) {
    this.unsubscribe = liveFeed.onChange(() => void this.refresh());
  }

  /** The head page of this size, or undefined when the database must answer. */
  page(limit: number): FeedPage | undefined {
    if (this.rows === undefined || !this.liveFeed.listening) return undefined;
    let page = this.pages.get(limit);
    if (page === undefined) {
      const serialized = serializePage(this.rows, limit);
      page = { ...serialized, bytes: Buffer.from(serialized.body) };
      this.pages.set(limit, page);
    }
    return page;
  }

  /** How many times the head was re-read; tests wait on it. */
  get refreshes(): number {
    return this.version;
  }

  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const rows = await listEvents(this.pool, { limit: headSize });
        this.rows = rows;
        this.pages = new Map();
        this.version += 1;
      } while (this.refreshAgain);
    } catch (error) {
      // Serve from the database until the next NOTIFY refreshes the head.
      this.rows = undefined;
      this.pages = new Map();
      this.logger.warn({ err: error }, 'head of feed could not be read');
    } finally {
      this.refreshing = false;
    }
  }

  close(): void {
    this.unsubscribe();
  }
}

/** The options of a head page's answer: its Link, with the options every page shares. */
export type HeadOptionsOf = (page: FeedPage, limit: number) => PreparedOptions;

/** headOptionsOf made once per version and limit (a page is a new object each version). */
export function headOptions(shared: SendBodyOptions): HeadOptionsOf {
  const known = new WeakMap<FeedPage, PreparedOptions>();
  return (page, limit) => {
    let options = known.get(page);
    if (options === undefined) {
      let link: string | undefined;
      if (page.nextCursor !== null) {
        const next = new URLSearchParams({ limit: String(limit), cursor: page.nextCursor });
        link = `</events?${next.toString()}>; rel="next"`;
      }
      options = { ...shared, link };
      known.set(page, options);
    }
    return options;
  };
}
