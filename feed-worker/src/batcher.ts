export interface BatcherOptions {
  /** A batch is handed out as soon as it holds this many items. */
  maxSize: number;
  /** …or once its oldest item has waited this long, ms. */
  maxWaitMs: number;
}

interface Entry<T> {
  item: T;
  at: number;
}

/**
 * Gathers items into batches: up to `maxSize`, or whatever has arrived once the oldest has
 * waited `maxWaitMs`. Items keep arriving while the caller stores the previous batch, so the
 * next one is filling during the commit. One caller at a time awaits `next()`.
 */
export class Batcher<T> {
  readonly #options: BatcherOptions;
  #entries: Array<Entry<T>> = [];
  #waiter: ((batch: T[]) => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: BatcherOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.length;
  }

  push(item: T): void {
    this.#entries.push({ item, at: Date.now() });
    this.#settle();
  }

  /** The next batch; after `close()`, what is left, then empty batches. */
  next(): Promise<T[]> {
    if (this.#waiter !== undefined) throw new Error('Batcher.next() is already awaited');
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#settle();
    });
  }

  /** Takes out the waiting items that match (those of a lost channel will be redelivered). */
  remove(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    this.#entries = this.#entries.filter((entry) => {
      if (!predicate(entry.item)) return true;
      removed.push(entry.item);
      return false;
    });
    return removed;
  }

  /** Hands out what is waiting without further delay; `next()` no longer blocks. */
  close(): void {
    this.#closed = true;
    this.#settle();
  }

  #settle(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const { maxSize, maxWaitMs } = this.#options;
    const oldest = this.#entries[0];
    const due =
      this.#closed ||
      this.#entries.length >= maxSize ||
      (oldest !== undefined && Date.now() - oldest.at >= maxWaitMs);
    if (due) {
      this.#clearTimer();
      this.#waiter = undefined;
      waiter(this.#entries.splice(0, maxSize).map((entry) => entry.item));
      return;
    }
    if (oldest !== undefined && this.#timer === undefined) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#settle();
        },
        Math.max(0, oldest.at + maxWaitMs - Date.now()),
      );
    }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
