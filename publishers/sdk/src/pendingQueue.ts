/**
 * FIFO of messages waiting to be sent, in publish order. Taking from the head is O(1) (an
 * index, not `Array.shift`), so draining a full buffer of 10 000 after an outage stays linear.
 * Entries that timed out are marked settled and dropped as they reach the head; since every
 * message gets the same timeout, the oldest expire first and are dropped at once.
 */
export class PendingQueue<T extends { seq: number; settled: boolean }> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The next live entry, or undefined. */
  shift(): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head] = undefined as unknown as T;
      this.head += 1;
      if (!item.settled) {
        this.compact();
        return item;
      }
    }
    this.items = [];
    this.head = 0;
    return undefined;
  }

  /** Puts an entry back at the head (a publish the closed channel refused). */
  unshift(item: T): void {
    if (this.head > 0) {
      this.head -= 1;
      this.items[this.head] = item;
    } else this.items.unshift(item);
  }

  /**
   * Puts messages that were in flight on a lost channel back in front, in publish order: they
   * were sent before everything still waiting, so they go out again first.
   */
  requeueFront(items: readonly T[]): void {
    const live = items.filter((item) => !item.settled).sort((a, b) => a.seq - b.seq);
    if (live.length === 0) return;
    this.items = live.concat(this.items.slice(this.head));
    this.head = 0;
  }

  /** Drops settled entries at the head, so expired messages free their memory at once. */
  dropSettledHead(): void {
    while (this.head < this.items.length && this.items[this.head]!.settled) {
      this.items[this.head] = undefined as unknown as T;
      this.head += 1;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
