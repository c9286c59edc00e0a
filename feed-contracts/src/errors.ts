/**
 * Every error the feed raises carries a stable code. A code is never reused for another
 * meaning, so dashboards, alerts and clients can match on it.
 *
 * `permanent` says whether the same thing can succeed later: a publisher retries a transient
 * publish error (the broker was away, slow, or refused it for now), never a permanent one.
 */
export const FeedErrorCode = {
  // Rejections of an incoming message: all permanent.
  TooLarge: 'FEED_ERR_TOO_LARGE',
  ContentType: 'FEED_ERR_CONTENT_TYPE',
  ContentEncoding: 'FEED_ERR_CONTENT_ENCODING',
  NotUtf8: 'FEED_ERR_NOT_UTF8',
  NotJson: 'FEED_ERR_NOT_JSON',
  TooDeep: 'FEED_ERR_TOO_DEEP',
  NotEvent: 'FEED_ERR_NOT_EVENT',
  EmptyBatch: 'FEED_ERR_EMPTY_BATCH',
  BatchTooLarge: 'FEED_ERR_BATCH_TOO_LARGE',
  ForbiddenKey: 'FEED_ERR_FORBIDDEN_KEY',
  MissingField: 'FEED_ERR_MISSING_FIELD',
  BadField: 'FEED_ERR_BAD_FIELD',
  BadTime: 'FEED_ERR_BAD_TIME',
  Schema: 'FEED_ERR_SCHEMA',
  // The database refused the data of a message (a constraint, an invalid value).
  Refused: 'FEED_ERR_REFUSED',
  // The message's broker user (user_id) may not publish as its events' source
  // (WORKER_SOURCE_USERS).
  SourceForbidden: 'FEED_ERR_SOURCE_FORBIDDEN',
  // The worker failed on this message in a way no rule names (a bug): parked, so that it
  // stops nothing, with the error as its reason.
  Internal: 'FEED_ERR_INTERNAL',
  // Passing failures: retried, never parked.
  DatabaseUnavailable: 'FEED_ERR_DATABASE_UNAVAILABLE',
  BrokerUnavailable: 'FEED_ERR_BROKER_UNAVAILABLE',
  // Configuration and topology: stop the process with a clear message.
  Config: 'FEED_ERR_CONFIG',
  TopologyMismatch: 'FEED_ERR_TOPOLOGY_MISMATCH',
  // Publisher SDK: why one publish did not reach the feed.
  PublishInvalid: 'FEED_PUBLISH_INVALID',
  PublishBufferFull: 'FEED_PUBLISH_BUFFER_FULL',
  PublishTimeout: 'FEED_PUBLISH_TIMEOUT',
  PublishNacked: 'FEED_PUBLISH_NACKED',
  PublishUnroutable: 'FEED_PUBLISH_UNROUTABLE',
  PublishClosed: 'FEED_PUBLISH_CLOSED',
  // Dead-letter operations (feed-dead, the admin endpoints).
  DeadBusy: 'FEED_ERR_DEAD_BUSY',
  DeadNotFound: 'FEED_ERR_DEAD_NOT_FOUND',
  DeadSelection: 'FEED_ERR_DEAD_SELECTION',
} as const;

export type FeedErrorCode = (typeof FeedErrorCode)[keyof typeof FeedErrorCode];

const transientCodes: ReadonlySet<FeedErrorCode> = new Set([
  FeedErrorCode.DatabaseUnavailable,
  FeedErrorCode.BrokerUnavailable,
  // The event is fine; the broker was away, slow, or refused it for now, or this publisher
  // was closing. The same event published again later can succeed.
  FeedErrorCode.PublishBufferFull,
  FeedErrorCode.PublishTimeout,
  FeedErrorCode.PublishNacked,
  FeedErrorCode.PublishClosed,
  // Another dead-letter operation holds feed.dead; the same one can run once it ends.
  FeedErrorCode.DeadBusy,
]);

export class FeedError extends Error {
  override readonly name = 'FeedError';
  readonly code: FeedErrorCode;
  readonly permanent: boolean;

  constructor(code: FeedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.permanent = !transientCodes.has(code);
  }
}

export function isFeedError(error: unknown): error is FeedError {
  return error instanceof FeedError;
}
