import pg from 'pg';
import {
  listPagePositions,
  listRowsJson,
  type FeedItem,
  type KeyedPageRow,
  type ListEventsOptions,
  type PageJson,
  type PageRow,
  type Queryable,
} from '@feed/store';
import { followLiveFeed } from './followLiveFeed.js';
import type { LiveFeed } from './liveFeed.js';

export interface ItemCacheOptions {
  /** Most bytes of items kept (SERVICE_ITEM_CACHE_MB). Default 64 MiB. */
  maxBytes?: number;
  /** Told of each read: how many items came from memory, how many from the database. */
  onRead?: (memory: number, database: number) => void;
}

/** What a kept item costs beside its text: the two map entries and their keys. */
const ENTRY_OVERHEAD = 120;

const keyOf = (source: string, id: string) => `${source}\u0000${id}`;

/**
 * Each event's item (its JSON in the API's view, as PostgreSQL builds it) by position, kept
 * until the event changes: a page below the head then reads only its positions (an index
 * scan, no JSON built) and takes the items it holds from here. Building the items was most
 * of a filtered or deep page's cost, in PostgreSQL and in the bytes Node receives. An event
 * changes only by a change the live feed hands over (its reactions, a hide, an erasure),
 * which drops it; a read that began before any change is served but not kept; when the live
 * feed listens again (a change may have gone unheard) everything is dropped; while it does
 * not listen, every item is read from the database. So an item is never served stale for
 * longer than the live feed takes to hear of its change, as for every cache of the service.
 */
export class ItemCache {
  /** Items by `seq`, least recently used first. */
  private readonly items = new Map<string, KeyedPageRow>();
  /** `seq` by the event's key, as a change names it. */
  private readonly seqs = new Map<string, string>();
  private readonly maxBytes: number;
  private readonly onRead: (memory: number, database: number) => void;
  private bytes = 0;
  /** Counts the changes heard: a read that saw it move may hold an older item. */
  private generation = 0;
  private readonly unfollow: () => void;

  constructor(
    private readonly liveFeed: LiveFeed,
    options: ItemCacheOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.onRead = options.onRead ?? (() => {});
    this.unfollow = followLiveFeed(liveFeed, {
      items: (items) => this.noteItems(items),
      missed: () => this.clear(),
    });
  }

  /** The rows of these positions still shown, newest first: kept ones, the rest read. */
  readonly rows = async (client: Queryable, seqs: readonly (number | string)[]) => {
    if (!this.liveFeed.listening) {
      this.onRead(0, seqs.length);
      return listRowsJson(client, seqs);
    }
    const found = new Map<string, PageRow>();
    const missing: string[] = [];
    for (const seq of seqs) {
      const key = String(seq);
      const row = this.items.get(key);
      if (row === undefined) missing.push(key);
      else {
        this.items.delete(key);
        this.items.set(key, row);
        found.set(key, row);
      }
    }
    this.onRead(found.size, missing.length);
    if (missing.length === 0) return seqs.map((seq) => found.get(String(seq))!);
    const generation = this.generation;
    const read = await listRowsJson(client, missing);
    const keep = generation === this.generation && this.liveFeed.listening;
    for (const row of read) {
      found.set(row.seq, row);
      if (keep) this.keep(row);
    }
    return seqs.flatMap((seq) => found.get(String(seq)) ?? []);
  };

  /**
   * A page as listPageJson reads it: its positions, then its items from here. Its cursor is
   * the last position it read, shown or not (an event hidden between the two reads).
   */
  async page(client: Queryable, options: ListEventsOptions): Promise<PageJson> {
    // One connection for both reads: a page waits for the pool once, as a single read does.
    if (client instanceof pg.Pool) {
      const one = await client.connect();
      let failed: Error | undefined;
      try {
        return await this.page(one, options);
      } catch (error) {
        // A connection that failed a read is not handed out again.
        failed = error as Error;
        throw error;
      } finally {
        one.release(failed);
      }
    }
    const positions = await listPagePositions(client, options);
    const more = positions.length > options.limit;
    const shown = more ? positions.slice(0, options.limit) : positions;
    const rows = await this.rows(
      client,
      shown.map((position) => position.seq),
    );
    const last = shown.at(-1);
    return {
      items: `[${rows.map((row) => row.item).join(',')}]`,
      next: more && last !== undefined ? { xid: last.xid, seq: last.seq } : null,
    };
  }

  clear(): void {
    this.generation += 1;
    this.items.clear();
    this.seqs.clear();
    this.bytes = 0;
  }

  close(): void {
    this.unfollow();
    this.clear();
  }

  /** Drops the events the changes name; new events are in no page kept here yet. */
  private noteItems(items: readonly FeedItem[]): void {
    for (const item of items) {
      if (item.kind === 'event') continue;
      this.generation += 1;
      const seq = this.seqs.get(keyOf(item.source, item.id));
      if (seq !== undefined) this.drop(seq);
    }
  }

  private keep(row: KeyedPageRow): void {
    if (this.items.has(row.seq)) this.drop(row.seq);
    this.items.set(row.seq, row);
    this.seqs.set(keyOf(row.source, row.id), row.seq);
    this.bytes += row.item.length + ENTRY_OVERHEAD;
    while (this.bytes > this.maxBytes) {
      const oldest = this.items.keys().next().value as string;
      this.drop(oldest);
    }
  }

  private drop(seq: string): void {
    const row = this.items.get(seq);
    if (row === undefined) return;
    this.items.delete(seq);
    this.seqs.delete(keyOf(row.source, row.id));
    this.bytes -= row.item.length + ENTRY_OVERHEAD;
  }
}
