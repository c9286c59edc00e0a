export { FeedError, FeedErrorCode, isFeedError } from './errors.js';
export {
  FeedEventSchema,
  WireEventSchema,
  PersonObjectSchema,
  WireId,
  WirePerson,
  EventTypePattern,
  limits,
  type FeedEvent,
  type PersonObject,
} from './envelope.js';
export { TimePattern, readTime, type TimeReading } from './eventTime.js';
export {
  bodyMode,
  splitBody,
  eventAttributes,
  isAttributeName,
  type BodyMode,
  type BodyParts,
  type EventAttribute,
} from './bodyMode.js';
export { quote, maxReasonLength } from './quote.js';
export {
  catalogue,
  organisationTypes,
  organisationSnapshotType,
  reactionTypes,
  isCatalogueType,
  isReactionType,
  validateData,
  defaultSubject,
  defaultActor,
  ReactionTarget,
  ReactionKindPattern,
  presentation,
  reactionKinds,
  isReactionKind,
  type TypePresentation,
  type ReactionKind,
  type CatalogueType,
  type EventData,
  type ReactionType,
  type ReactionData,
} from './catalogue.js';
export { renderTemplate, eventText, type TextTemplate, type TextEvent } from './eventText.js';
export {
  topology,
  queueArguments,
  declareTopology,
  describeTopologyMismatch,
  PRECONDITION_FAILED,
  type QueueType,
  type TopologyOptions,
  type TopologyChannel,
} from './topology.js';
export { forbiddenKeys } from './messageBody.js';
export {
  parseMessage,
  type MessageProperties,
  type ParseResult,
  type ParseOptions,
} from './parseMessage.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { parseAmqpUrls, urlForAttempt, redactUrl } from './amqpUrls.js';
export {
  amqpConnect,
  withHeartbeat,
  type AmqpConnectFunction,
  type AmqpConnectOptions,
  type AmqpSocketOptions,
} from './amqpConnect.js';
export {
  amqpConnectAny,
  type AmqpConnectAnyOptions,
  type ClosableConnection,
  type ConnectedNode,
} from './amqpConnectAny.js';
export {
  connectLoop,
  abortableSleep,
  type ConnectLoopOptions,
  type LoopLogger,
} from './connectLoop.js';
export { boundedText } from './boundedText.js';
export { loadEnv, invalidConfig, type Env } from './loadEnv.js';
export {
  commonEnv,
  envBoolean,
  envInteger,
  envPostgresUrl,
  envText,
  type LogLevel,
} from './envVariables.js';
export { withTransaction } from './postgres/withTransaction.js';
export { applyMigrations, type Migration, type MigrationSet } from './postgres/applyMigrations.js';
export { CliUsageError, parseCommandLine } from './commandLine.js';
