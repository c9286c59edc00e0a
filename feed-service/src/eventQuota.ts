/**
 * Events each API key may publish per minute (SERVICE_API_KEY_EVENTS_PER_MINUTE). The request
 * rate limit counts requests, and one request may carry 100,000 events: this counts the
 * events. A fixed window per key, in memory, per replica.
 */
export class EventQuota {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes `count` events from `key`'s minute, all or none. Returns undefined when taken, or
   * how much is left and the seconds until the minute ends.
   */
  take(key: string, count: number): undefined | { left: number; retryInS: number } {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= 60_000) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used + count > this.perMinute)
      return {
        left: this.perMinute - window.used,
        retryInS: Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000)),
      };
    window.used += count;
    return undefined;
  }

  /** Gives back events that were taken but not published (the broker refused them). */
  giveBack(key: string, count: number): void {
    const window = this.windows.get(key);
    if (window !== undefined) window.used = Math.max(0, window.used - count);
  }
}
