import { catalogue } from '@feed/contracts';
import { listTypesSeen, readVisibility, type Pool, type TypeSeen } from '@feed/store';
import type { LiveFeed } from './liveFeed.js';

/** One undeclared type as the catalogue lists it: when and from where the feed stored it. */
export interface SeenType {
  type: string;
  firstSeen: string;
  lastSeen: string;
  events: number;
  sources: Array<{ source: string; firstSeen: string; lastSeen: string; events: number }>;
}

export interface TypesSeenOptions {
  /** Read again after this long even when no change was announced. Default 5000 ms. */
  maxAgeMs?: number;
  now?: () => number;
}

const declared = Object.keys(catalogue);

/**
 * The types nobody declared that the feed stored, computed when a reader asks and kept in
 * memory: each read adds only the rows that became visible since the last one (the store's
 * listTypesSeen, between two horizons). No row is kept up to date by the writers, so no
 * writer ever waits on another for it. A read happens only when the live feed announced a
 * change since the last one, or after `maxAgeMs` regardless (a lost NOTIFY costs delay, never
 * a type); readers asking at once share it.
 */
export class TypesSeen {
  private readonly seen = new Map<string, TypeSeen>();
  private horizon = '0';
  private dirty = true;
  private readAt = -Infinity;
  private pending: Promise<void> | undefined;
  private readonly unsubscribe: () => void;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly pool: Pool,
    private readonly liveFeed: LiveFeed,
    options: TypesSeenOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.unsubscribe = liveFeed.onChange(() => (this.dirty = true));
  }

  async list(): Promise<SeenType[]> {
    const stale =
      this.dirty || !this.liveFeed.listening || this.now() - this.readAt > this.maxAgeMs;
    if (stale) {
      this.pending ??= this.read().finally(() => (this.pending = undefined));
      await this.pending;
    }
    return this.grouped();
  }

  close(): void {
    this.unsubscribe();
  }

  private async read(): Promise<void> {
    // Cleared before reading: a change announced while the read runs makes the next one read.
    this.dirty = false;
    this.readAt = this.now();
    let horizon: string;
    let rows: TypeSeen[];
    try {
      ({ horizon } = await readVisibility(this.pool));
      rows = await listTypesSeen(this.pool, { from: this.horizon, horizon, declared });
    } catch (error) {
      this.dirty = true;
      throw error;
    }
    for (const row of rows) {
      const key = `${row.type}\u0000${row.source}`;
      const known = this.seen.get(key);
      this.seen.set(
        key,
        known === undefined
          ? row
          : {
              ...known,
              firstSeen: row.firstSeen < known.firstSeen ? row.firstSeen : known.firstSeen,
              lastSeen: row.lastSeen > known.lastSeen ? row.lastSeen : known.lastSeen,
              events: known.events + row.events,
            },
      );
    }
    this.horizon = horizon;
  }

  private grouped(): SeenType[] {
    const byType = new Map<string, SeenType>();
    for (const { type, source, firstSeen, lastSeen, events } of this.seen.values()) {
      const entry = byType.get(type);
      const from = { source, firstSeen, lastSeen, events };
      if (entry === undefined) {
        byType.set(type, { type, firstSeen, lastSeen, events, sources: [from] });
        continue;
      }
      entry.sources.push(from);
      if (firstSeen < entry.firstSeen) entry.firstSeen = firstSeen;
      if (lastSeen > entry.lastSeen) entry.lastSeen = lastSeen;
      entry.events += events;
    }
    return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : 1));
  }
}
