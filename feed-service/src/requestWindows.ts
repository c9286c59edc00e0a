/** One key's window: when it began and what it counted. */
interface Window {
  start: number;
  count: number;
}

/** Where a key stands in its window. */
export interface WindowState {
  /** What the window counted, this request included when it was a `hit`. */
  count: number;
  /** Milliseconds until the window ends (0: no window open). */
  resetInMs: number;
}

/**
 * Counts per key in fixed windows (a window opens with a key's first count and lasts
 * `windowMs`), in memory, per replica: the request rate limit (SERVICE_RATE_LIMIT_MAX) and
 * failed authentications (SERVICE_AUTH_FAILURE_MAX). Synchronous, a Map lookup per request:
 * every answer of the service passes it. At most `maxKeys` keys are kept, the one whose
 * window opened longest ago (the next to end) dropped first, so a client inventing addresses
 * cannot grow it.
 */
export class RequestWindows {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one for `key` and says where it stands. */
  hit(key: string): WindowState {
    const now = this.now();
    let window = this.windows.get(key);
    if (window !== undefined && now - window.start < this.windowMs) window.count += 1;
    else {
      window = { start: now, count: 1 };
      // Deleted and set again as its window opens: a Map iterates in insertion order, so the
      // first key is the one whose window opened longest ago.
      this.windows.delete(key);
      this.windows.set(key, window);
      if (this.windows.size > this.maxKeys) {
        const oldest = this.windows.keys().next();
        if (oldest.done !== true) this.windows.delete(oldest.value);
      }
    }
    return { count: window.count, resetInMs: window.start + this.windowMs - now };
  }

  /** Where `key` stands, without counting. */
  read(key: string): WindowState {
    const now = this.now();
    const window = this.windows.get(key);
    if (window === undefined || now - window.start >= this.windowMs)
      return { count: 0, resetInMs: 0 };
    return { count: window.count, resetInMs: window.start + this.windowMs - now };
  }
}
