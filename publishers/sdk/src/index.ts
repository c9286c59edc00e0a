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
// What a service needs of the contract to use the SDK: the errors it rejects with, and the
// event types. The package carries its own copy of @feed/contracts, so check its errors with
// these, not with another copy's `FeedError`.
export {
  FeedError,
  FeedErrorCode,
  isFeedError,
  type FeedEvent,
  type PersonObject,
  type EventData,
  type CatalogueType,
  type QueueType,
} from '@feed/contracts';
export { type PublisherLogger } from './logger.js';
export { enqueue, type EnqueueOptions } from './outbox.js';
export {
  outboxMigrationSql,
  outboxSetAsideMigrationSql,
  outboxMigrations,
  migrateOutbox,
  OUTBOX_CHANNEL,
} from './outboxMigration.js';
export {
  retryOutboxRows,
  listSetAsideOutboxRows,
  type OutboxRetrySelection,
  type SetAsideOutboxRow,
} from './sql/retryOutboxRows.js';
export {
  startOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRelayStats,
} from './relay.js';
// What a service built on the SDK shares with the feed's own processes: reading its
// configuration, running a transaction (with `enqueue` inside), applying its migrations (with
// `outboxMigrationSql` among them). Implemented once, in @feed/contracts.
export {
  loadEnv,
  invalidConfig,
  envInteger,
  envText,
  envBoolean,
  commonEnv,
  envPostgresUrl,
  withTransaction,
  applyMigrations,
  type Env,
  type LogLevel,
  type Migration,
  type MigrationSet,
} from '@feed/contracts';
