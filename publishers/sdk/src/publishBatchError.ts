import { FeedError, type FeedEvent } from '@feed/contracts';
import type { FeedMessage } from './buildMessage.js';

/**
 * An array publish where some messages were not confirmed. Carries the code of the first
 * failure, and which events were confirmed and which failed, so a caller can retry only those.
 */
export class PublishBatchError extends FeedError {
  readonly confirmed: FeedEvent[];
  readonly failed: Array<{ event: FeedEvent; error: FeedError }>;

  constructor(
    messages: readonly FeedMessage[],
    results: readonly PromiseSettledResult<FeedEvent>[],
  ) {
    const confirmed: FeedEvent[] = [];
    const failed: Array<{ event: FeedEvent; error: FeedError }> = [];
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') confirmed.push(result.value);
      else failed.push({ event: messages[index]!.event, error: result.reason as FeedError });
    });
    const first = failed[0]!.error;
    super(
      first.code,
      `${failed.length} of ${results.length} events were not confirmed; first: ${first.message}`,
      { cause: first },
    );
    this.confirmed = confirmed;
    this.failed = failed;
  }
}
