import type { FeedEvent } from '@feed/contracts';
// The publisher's errors are checked with the publisher's own isFeedError: the package
// carries its own copy of the contract, whose FeedError is another class.
import { isFeedError, type PublishInput } from '@feed/publisher';

/** One event as POST /events hands it to the SDK: the SDK's publish input. */
export type PublishEventInput = PublishInput;

/**
 * What POST /events needs of `@feed/publisher`'s FeedPublisher: publish with broker confirms,
 * and close. Taken as an interface so tests can hand in another one.
 */
export interface EventPublisher {
  publish(events: readonly PublishEventInput[]): Promise<FeedEvent[]>;
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** SDK failures that mean "the broker did not take it now": the caller retries later. */
const unavailableCodes = new Set([
  'FEED_PUBLISH_BUFFER_FULL',
  'FEED_PUBLISH_TIMEOUT',
  'FEED_PUBLISH_NACKED',
  'FEED_PUBLISH_UNROUTABLE',
  'FEED_PUBLISH_CLOSED',
  'FEED_ERR_BROKER_UNAVAILABLE',
  'FEED_ERR_TOPOLOGY_MISMATCH',
]);

export function isBrokerUnavailable(error: unknown): error is Error & { code: string } {
  return isFeedError(error) && unavailableCodes.has(error.code);
}
