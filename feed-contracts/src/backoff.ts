export interface BackoffOptions {
  /** First delay's upper bound, ms. */
  minMs: number;
  /** No delay exceeds this, ms. */
  maxMs: number;
}

/**
 * Capped exponential backoff with full jitter: attempt n (from 0) waits a uniformly random
 * time in [0, min(max, min · 2^n)]. The jitter keeps a fleet of clients from reconnecting to
 * a recovering broker in lockstep; the cap bounds the wait after a long outage.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const ceiling = Math.min(options.maxMs, options.minMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
