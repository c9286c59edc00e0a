import pg from 'pg';
import {
  itemsJson,
  listPagePositions,
  listRowsJson,
  type FeedItem,
  type KeyedPageRow,
  type ListEventsOptions,
  type PageJson,
  type Queryable,
} from '@feed/store';
import { eventKey } from './eventView.js';
import { followLiveFeed } from './followLiveFeed.js';
import type { LiveFeed } from './liveFeed.js';

export interface ItemCacheOptions {
  /** Most bytes of items kept (SERVICE_ITEM_CACHE_MB). Default 128 MiB. */
  maxBytes?: number;
  /** Told of each read: how many items came from memory, how many from the database. */
  onRead?: (memory: number, database: number) => void;
}

/** A page's JSON and the events it shows, when the read knows them (eventKey). */
export interface KeyedPageJson extends PageJson {
  events?: readonly string[];
}

/** What a kept item costs beside its text: the two map entries and their keys. */
const ENTRY_OVERHEAD = 120;

interface Kept {
  row: KeyedPageRow;
  /** Read since the eviction last passed over it. */
  used: boolean;
}

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
  /**
   * Items by `seq` as a number (a small integer hashes at once; the driver's strings are new
   * on every read and would be hashed on every lookup), oldest kept first (see keep).
   */
  private readonly items = new Map<number, Kept>();
  /** `seq` by the event's key, as a change names it. */
  private readonly seqs = new Map<string, number>();
  /** The eviction's hand (see keep). */
  private hand: MapIterator<[number, Kept]> = this.items.entries();
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
    this.maxBytes = options.maxBytes ?? 128 * 1024 * 1024;
    this.onRead = options.onRead ?? (() => {});
    this.unfollow = followLiveFeed(liveFeed, {
      items: (items) => this.noteItems(items),
      missed: () => this.clear(),
    });
  }

  /** The rows of these positions still shown, newest first: kept ones, the rest read. */
  readonly rows = async (
    client: Queryable,
    seqs: readonly (number | string)[],
  ): Promise<KeyedPageRow[]> => {
    if (!this.liveFeed.listening) {
      this.onRead(0, seqs.length);
      return listRowsJson(client, seqs);
    }
    const rows: (KeyedPageRow | undefined)[] = new Array<KeyedPageRow | undefined>(seqs.length);
    const missing: string[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const kept = this.items.get(Number(seqs[i]));
      if (kept === undefined) missing.push(String(seqs[i]));
      else {
        kept.used = true;
        rows[i] = kept.row;
      }
    }
    this.onRead(seqs.length - missing.length, missing.length);
    if (missing.length === 0) return rows as KeyedPageRow[];
    const generation = this.generation;
    const read = new Map((await listRowsJson(client, missing)).map((row) => [row.seq, row]));
    const keep = generation === this.generation && this.liveFeed.listening;
    const shown: KeyedPageRow[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const row = rows[i] ?? read.get(String(seqs[i]));
      if (row === undefined) continue;
      shown.push(row);
      if (keep && rows[i] === undefined) this.keep(Number(row.seq), row);
    }
    return shown;
  };

  /**
   * A page as listPageJson reads it: its positions, then its items from here. Its cursor is
   * the last position it read, shown or not (an event hidden between the two reads); `events`
   * names the events it shows (eventKey).
   */
  async page(client: Queryable, options: ListEventsOptions): Promise<KeyedPageJson> {
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
      items: itemsJson(rows),
      next: more && last !== undefined ? { xid: last.xid, seq: last.seq } : null,
      // A position whose event was hidden between the two reads is not named, and its change
      // may come after this read: such a page says nothing, so any change drops it.
      events:
        rows.length === shown.length ? rows.map((row) => eventKey(row.source, row.id)) : undefined,
    };
  }

  clear(): void {
    this.generation += 1;
    this.items.clear();
    this.seqs.clear();
    this.hand = this.items.entries();
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
      const seq = this.seqs.get(eventKey(item.source, item.id));
      if (seq !== undefined) this.drop(seq);
    }
  }

  /**
   * Keeps an item, and drops what is over the bound by second chance (CLOCK): a hand goes
   * round the items in the order they were kept, dropping the first it finds that was not
   * read since the hand last passed it, and clearing the mark of those that were. A read
   * marks an item instead of moving it in the map, which costs a page of hits a tenth of what
   * moving fifty entries did. The hand is one iterator that lives on (a map's iterator sees
   * what is added after it): one that started afresh at each eviction would step again over
   * every entry dropped before it, which V8 leaves in place until the map is rebuilt.
   */
  private keep(seq: number, row: KeyedPageRow): void {
    // Past 2^53 a number no longer names one seq: such an item is served, not kept.
    if (!Number.isSafeInteger(seq)) return;
    if (this.items.has(seq)) this.drop(seq);
    this.items.set(seq, { row, used: false });
    this.seqs.set(eventKey(row.source, row.id), seq);
    this.bytes += row.item.length + ENTRY_OVERHEAD;
    while (this.bytes > this.maxBytes) {
      let step = this.hand.next();
      if (step.done === true) {
        this.hand = this.items.entries();
        step = this.hand.next();
      }
      const [passed, kept] = step.value as [number, Kept];
      if (kept.used) kept.used = false;
      else this.drop(passed);
    }
  }

  private drop(seq: number): void {
    const row = this.items.get(seq)?.row;
    if (row === undefined) return;
    this.items.delete(seq);
    this.seqs.delete(eventKey(row.source, row.id));
    this.bytes -= row.item.length + ENTRY_OVERHEAD;
  }
}
