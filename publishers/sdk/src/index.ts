export {
  createFeedPublisher,
  type FeedPublisher,
  type PublisherState,
  type PublisherStats,
  type CloseOptions,
} from './publisher.js';
export { type FeedPublisherOptions } from './options.js';
export {
  buildMessage,
  buildMessages,
  type PublishInput,
  type FeedMessage,
  type FeedMessageProperties,
} from './buildMessage.js';
export { PublishBatchError } from './publishBatchError.js';
export { type PublisherLogger } from './logger.js';
export { enqueue, type EnqueueOptions } from './outbox.js';
export { outboxMigrationSql, migrateOutbox, OUTBOX_CHANNEL } from './outboxMigration.js';
export {
  startOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRelayStats,
} from './relay.js';
