import type { FeedEvent } from '@feed/contracts';
import type { PublishInput } from '@feed/publisher';

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
