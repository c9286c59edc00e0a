import {
  FeedErrorCode,
  backoffDelay,
  isFeedError,
  type BackoffOptions,
  type FeedEvent,
} from '@feed/contracts';
import type { OutboxRetry } from './sql/delayOutboxRows.js';
import type { OutboxRow } from './sql/claimOutboxBatch.js';
import type { OutboxSetAside } from './sql/setAsideOutboxRows.js';

export interface OutboxOutcome {
  sent: string[];
  retries: OutboxRetry[];
  setAside: OutboxSetAside[];
}

/**
 * A failure the same row cannot get past by waiting: the event itself cannot be published
 * (it fails the contract as it is stored). Everything the broker says or does not say (no
 * confirm, a nack, a closed connection, a full buffer, even an unroutable message, which is
 * the broker's topology and not the row's) passes, so an outage sets nothing aside.
 */
export function isPermanentRowFailure(error: unknown): boolean {
  return isFeedError(error) && error.code === FeedErrorCode.PublishInvalid;
}

/**
 * What a published batch means for its rows: confirmed ones are sent; the others go back with
 * a backoff that grows with their attempts. A retried row becomes the oldest pending row of
 * its source, and its source waits for it (see claimOutboxBatch), unless it failed for good
 * `maxPermanentFailures` times: then it is set aside, and the source goes on without it.
 */
export function outboxOutcome(
  rows: readonly OutboxRow[],
  results: readonly PromiseSettledResult<FeedEvent[]>[],
  backoff: BackoffOptions & { maxPermanentFailures?: number },
  random: () => number = Math.random,
): OutboxOutcome {
  const sent: string[] = [];
  const retries: OutboxRetry[] = [];
  const setAside: OutboxSetAside[] = [];
  const bound = backoff.maxPermanentFailures ?? 3;
  rows.forEach((row, index) => {
    const result = results[index]!;
    if (result.status === 'fulfilled') {
      sent.push(row.id);
      return;
    }
    const error = String((result.reason as Error)?.message ?? result.reason).slice(0, 1000);
    const permanent = isPermanentRowFailure(result.reason);
    if (permanent && (row.permanentFailures ?? 0) + 1 >= bound) {
      setAside.push({ id: row.id, reason: error });
      return;
    }
    retries.push({
      id: row.id,
      // Never 0: a failed row must not be taken again in the same breath.
      delayMs: Math.max(backoffDelay(row.attempts, backoff, random), backoff.minMs / 2),
      error,
      permanent,
    });
  });
  return { sent, retries, setAside };
}
