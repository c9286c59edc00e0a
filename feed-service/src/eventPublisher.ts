import type { FeedEvent } from '@feed/contracts';

/** One event as a caller of POST /events gives it: the SDK's publish input. */
export interface PublishEventInput {
  type: string;
  data: unknown;
  id?: string;
  source?: string;
  time?: string;
  subject?: string;
  actor?: string;
}

/**
 * What POST /events needs of `@feed/publisher`'s FeedPublisher: publish with broker confirms,
 * and close. Taken as an interface so tests can hand in another one.
 */
export interface EventPublisher {
  publish(events: readonly PublishEventInput[]): Promise<FeedEvent[]>;
  close(options?: { timeoutMs?: number }): Promise<void>;
}
