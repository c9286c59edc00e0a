import { commonEnv, envInteger, envText, invalidConfig, loadEnv } from '@feed/contracts';
import type { Env, LogLevel, QueueType } from '@feed/contracts';
import { parseSourceUsers, type SourceUsers } from './sourceUsers.js';

export type { LogLevel };

export interface WorkerConfig {
  /** Broker nodes, tried in turn (AMQP_URL, comma-separated). */
  amqpUrls: string[];
  databaseUrl: string;
  queueType: QueueType;
  logLevel: LogLevel;
  logPretty: boolean;
  /** Most messages per transaction. */
  batchSize: number;
  /** Longest a batch waits to fill after its first message, ms. */
  batchWaitMs: number;
  /** Unacknowledged messages the broker may hand this worker. */
  prefetch: number;
  /** 0: any free port (the bound one is logged and returned by startWorker). */
  httpPort: number;
  httpHost: string;
  /** AMQP heartbeat, seconds: a silent broker is noticed after about two of them. */
  heartbeatS: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  shutdownTimeoutMs: number;
  dbPoolMax: number;
  /** statement_timeout of the worker's database connections, ms; 0: none. */
  statementTimeoutMs: number;
  /** Batches stored at the same time: they commit concurrently (no lock shared between them). */
  batchesInFlight: number;
  /** Most events in one transaction: a bulk message is stored in parts of this size. */
  maxEventsPerTransaction: number;
  /**
   * Longest a finished message waits for the ack of an unfinished one delivered before it,
   * ms; past it, it is acked on its own, and the holdup shows in /readyz, a metric and a log.
   */
  ackWaitMs: number;
  /** Bytes of unfinished messages one consumer may hold before it pauses (see Consumer). */
  maxBytesInHand: number;
  /**
   * Broker users and the sources each may publish as (WORKER_SOURCE_USERS), checked against
   * each message's broker-validated `user_id`. Undefined: off.
   */
  sourceUsers: SourceUsers | undefined;
}

const variables = {
  AMQP_URL: commonEnv.AMQP_URL,
  DATABASE_URL: commonEnv.DATABASE_URL,
  FEED_QUEUE_TYPE: commonEnv.FEED_QUEUE_TYPE,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  LOG_PRETTY: commonEnv.LOG_PRETTY,
  WORKER_BATCH_SIZE: envInteger(1, 10_000, 1000),
  WORKER_BATCH_WAIT_MS: envInteger(0, 60_000, 20),
  WORKER_PREFETCH: envInteger(1, 65_535, 3000),
  WORKER_HTTP_PORT: envInteger(0, 65_535, 9464),
  WORKER_HTTP_HOST: envText('127.0.0.1'),
  WORKER_HEARTBEAT_S: envInteger(1, 600, 10),
  WORKER_RECONNECT_MIN_MS: envInteger(0, 600_000, 250),
  WORKER_RECONNECT_MAX_MS: envInteger(1, 3_600_000, 30_000),
  WORKER_SHUTDOWN_TIMEOUT_MS: envInteger(100, 600_000, 15_000),
  WORKER_BATCHES_IN_FLIGHT: envInteger(1, 32, 2),
  // The batches in flight, the readiness check, the write probe and the notify after a commit.
  WORKER_DB_POOL_MAX: envInteger(3, 100, 4),
  WORKER_MAX_EVENTS_PER_TRANSACTION: envInteger(1, 100_000, 1000),
  // PostgreSQL's statement_timeout for the worker's statements; 0 turns it off.
  WORKER_STATEMENT_TIMEOUT_MS: envInteger(0, 3_600_000, 60_000),
  WORKER_ACK_WAIT_MS: envInteger(100, 600_000, 5000),
  WORKER_SOURCE_USERS: envText('', { minLength: 0 }),
  WORKER_MAX_BYTES_IN_HAND: envInteger(1024 * 1024, 16 * 1024 * 1024 * 1024, 64 * 1024 * 1024),
};

/**
 * Reads the worker's variables (see .env.example). A wrong value throws a FeedError whose
 * message names the variable, so the process stops at start instead of misbehaving later.
 */
export function loadConfig(env: Env): WorkerConfig {
  const values = loadEnv(variables, env);
  if (values.WORKER_RECONNECT_MAX_MS < values.WORKER_RECONNECT_MIN_MS)
    throw invalidConfig('WORKER_RECONNECT_MAX_MS must be >= WORKER_RECONNECT_MIN_MS');
  if (values.WORKER_DB_POOL_MAX < values.WORKER_BATCHES_IN_FLIGHT + 1)
    throw invalidConfig(
      'WORKER_DB_POOL_MAX must be > WORKER_BATCHES_IN_FLIGHT (each batch in flight holds a connection, and the readiness check needs one)',
    );
  if (values.WORKER_PREFETCH < values.WORKER_BATCH_SIZE)
    throw invalidConfig('WORKER_PREFETCH must be >= WORKER_BATCH_SIZE (a batch could never fill)');

  return {
    amqpUrls: values.AMQP_URL,
    databaseUrl: values.DATABASE_URL,
    queueType: values.FEED_QUEUE_TYPE,
    logLevel: values.LOG_LEVEL,
    logPretty: values.LOG_PRETTY,
    batchSize: values.WORKER_BATCH_SIZE,
    batchWaitMs: values.WORKER_BATCH_WAIT_MS,
    prefetch: values.WORKER_PREFETCH,
    httpPort: values.WORKER_HTTP_PORT,
    httpHost: values.WORKER_HTTP_HOST,
    heartbeatS: values.WORKER_HEARTBEAT_S,
    reconnectMinMs: values.WORKER_RECONNECT_MIN_MS,
    reconnectMaxMs: values.WORKER_RECONNECT_MAX_MS,
    shutdownTimeoutMs: values.WORKER_SHUTDOWN_TIMEOUT_MS,
    dbPoolMax: values.WORKER_DB_POOL_MAX,
    batchesInFlight: values.WORKER_BATCHES_IN_FLIGHT,
    maxEventsPerTransaction: values.WORKER_MAX_EVENTS_PER_TRANSACTION,
    statementTimeoutMs: values.WORKER_STATEMENT_TIMEOUT_MS,
    ackWaitMs: values.WORKER_ACK_WAIT_MS,
    maxBytesInHand: values.WORKER_MAX_BYTES_IN_HAND,
    sourceUsers: parseSourceUsers(values.WORKER_SOURCE_USERS),
  };
}
