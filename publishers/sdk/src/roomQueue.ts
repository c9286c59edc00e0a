import type { FeedError } from '@feed/contracts';

interface RoomWaiter {
  count: number;
  deadline: number;
  enter(): void;
  fail(error: FeedError): void;
}

/**
 * Publishes waiting for room in a full buffer, oldest first. They wait in publish order, and
 * every one waits as long, so the oldest is always the first to expire: one timer serves all.
 */
export class RoomQueue {
  private readonly waiters: RoomWaiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly waitMs: number,
    /** The error of a waiter whose deadline passed. */
    private readonly expired: (count: number) => FeedError,
  ) {}

  get length(): number {
    return this.waiters.length;
  }

  wait(count: number, enter: () => void, fail: (error: FeedError) => void): void {
    this.waiters.push({ count, deadline: Date.now() + this.waitMs, enter, fail });
    this.arm();
  }

  /** Lets waiters in, in order, while the next one fits. */
  admit(fits: (count: number) => boolean): void {
    while (this.waiters.length > 0 && fits(this.waiters[0]!.count)) this.waiters.shift()!.enter();
    if (this.waiters.length === 0) this.stop();
  }

  rejectAll(error: FeedError): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(error);
    this.stop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const oldest = this.waiters[0];
    if (oldest === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = Date.now();
        while (this.waiters.length > 0 && this.waiters[0]!.deadline <= now) {
          const waiter = this.waiters.shift()!;
          waiter.fail(this.expired(waiter.count));
        }
        this.arm();
      },
      Math.max(oldest.deadline - Date.now(), 0) + 1,
    );
  }
}
