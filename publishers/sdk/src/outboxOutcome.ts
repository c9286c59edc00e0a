import { backoffDelay, type BackoffOptions, type FeedEvent } from '@feed/contracts';
import type { OutboxRetry } from './sql/delayOutboxRows.js';
import type { OutboxRow } from './sql/claimOutboxBatch.js';

export interface OutboxOutcome {
  sent: string[];
  retries: OutboxRetry[];
}

/**
 * What a published batch means for its rows: confirmed ones are sent; the others go back with
 * a backoff that grows with their attempts. A retried row becomes the oldest pending row of
 * its source, and its source waits for it (see claimOutboxBatch).
 */
export function outboxOutcome(
  rows: readonly OutboxRow[],
  results: readonly PromiseSettledResult<FeedEvent[]>[],
  backoff: BackoffOptions,
  random: () => number = Math.random,
): OutboxOutcome {
  const sent: string[] = [];
  const retries: OutboxRetry[] = [];
  rows.forEach((row, index) => {
    const result = results[index]!;
    if (result.status === 'fulfilled') sent.push(row.id);
    else
      retries.push({
        id: row.id,
        // Never 0: a failed row must not be taken again in the same breath.
        delayMs: Math.max(backoffDelay(row.attempts, backoff, random), backoff.minMs / 2),
        error: String((result.reason as Error)?.message ?? result.reason).slice(0, 1000),
      });
  });
  return { sent, retries };
}
