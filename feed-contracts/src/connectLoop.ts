import { backoffDelay } from './backoff.js';

/** What the loop logs through: pino's signature, so any pino logger (or child) fits. */
export interface LoopLogger {
  warn(details: object, message: string): void;
}

export interface ConnectLoopOptions {
  /**
   * One connection's life: connect, work, and resolve once the connection is lost (or reject
   * with why). The loop then waits and calls it again. `attempt` counts failures since the last
   * healthy connection. It calls `healthy()` once it works (its channel open, its LISTEN done),
   * so the delay after it ends starts from the minimum again however long it lasted.
   */
  connection: (attempt: number, healthy: () => void) => Promise<void>;
  /** The loop ends when this aborts; the connection is expected to end on it too. */
  signal: AbortSignal;
  minMs: number;
  maxMs: number;
  /**
   * A connection that lasted this long was healthy, whether or not it called `healthy()`: the
   * next delay starts from the minimum again. Default: only `healthy()` counts.
   */
  healthyAfterMs?: number;
  /**
   * A connection that ended (rather than failed to start) after lasting at least this long is
   * followed by the next attempt at once, not after a delay: with several nodes in the list
   * the next attempt goes to another node, which is likely up. A connection that dies sooner
   * backs off as usual, so a client that is thrown out as soon as it attaches cannot spin.
   * Default: never (with one node the next attempt meets the node that just went away).
   */
  atOnceAfterMs?: number;
  logger: LoopLogger;
  /** Names the client in the loop's log lines (`live feed: connect attempt failed; …`). */
  name?: string;
  /** Errors that no retry can fix (a topology mismatch): the loop stops and rethrows. */
  isFatal?: (error: unknown) => boolean;
  /** Called before each attempt; tests observe the stack depth here. */
  onAttempt?: (attempt: number) => void;
  /** Called after each attempt that failed or ended, with the delay chosen. */
  onRetry?: (attempt: number, delayMs: number) => void;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * A client's life (the worker's consumer, a publisher's connection, the service's LISTEN
 * connection) as an explicit loop, never recursion: an outage of any length leaves the
 * stack and the memory where they were. Capped exponential backoff with full jitter keeps a
 * fleet of workers from hammering a recovering broker in lockstep.
 */
export async function connectLoop(options: ConnectLoopOptions): Promise<void> {
  const { signal, logger } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const prefix = options.name === undefined ? '' : `${options.name}: `;
  const healthyAfterMs = options.healthyAfterMs ?? Infinity;
  const atOnceAfterMs = options.atOnceAfterMs ?? Infinity;
  let attempt = 0;
  while (!signal.aborted) {
    options.onAttempt?.(attempt);
    const startedAt = now();
    let healthy = false;
    let failure: unknown;
    try {
      await options.connection(attempt, () => {
        healthy = true;
      });
    } catch (error) {
      if (options.isFatal?.(error)) throw error;
      failure = error;
    }
    if (signal.aborted) break;
    const lastedMs = now() - startedAt;
    if (healthy || lastedMs >= healthyAfterMs) attempt = 0;
    const delayMs =
      failure === undefined && lastedMs >= atOnceAfterMs
        ? 0
        : backoffDelay(attempt, { minMs: options.minMs, maxMs: options.maxMs }, options.random);
    logger.warn(
      { attempt: attempt + 1, delayMs, err: failure },
      prefix +
        (failure === undefined
          ? 'connection lost; reconnecting after delay'
          : 'connect attempt failed; retrying after delay'),
    );
    options.onRetry?.(attempt, delayMs);
    attempt += 1;
    await sleep(delayMs, signal);
  }
}

/** Resolves after `ms`, or at once when the signal aborts; never leaves a timer behind. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
