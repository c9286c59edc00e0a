import envSchema from 'env-schema';
import { FeedError, FeedErrorCode, parseAmqpUrls, type QueueType } from '@feed/contracts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

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
  /** Most events in one transaction: a bulk message is stored in parts of this size. */
  maxEventsPerTransaction: number;
  /**
   * Longest a finished message waits for the ack of an unfinished one delivered before it,
   * ms; past it, it is acked on its own, and the holdup shows in /readyz, a metric and a log.
   */
  ackWaitMs: number;
  /** Bytes of unfinished messages one consumer may hold before it pauses (see Consumer). */
  maxBytesInHand: number;
}

const int = (minimum: number, maximum: number, defaultValue: number) => ({
  type: 'integer',
  minimum,
  maximum,
  default: defaultValue,
});

const schema = {
  type: 'object',
  properties: {
    AMQP_URL: { type: 'string', minLength: 1, default: 'amqp://guest:guest@127.0.0.1:5672' },
    DATABASE_URL: {
      type: 'string',
      minLength: 1,
      default: 'postgres://postgres@127.0.0.1:5432/feed',
    },
    FEED_QUEUE_TYPE: { type: 'string', enum: ['quorum', 'classic'], default: 'quorum' },
    LOG_LEVEL: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
    },
    LOG_PRETTY: { type: 'boolean', default: false },
    WORKER_BATCH_SIZE: int(1, 10_000, 500),
    WORKER_BATCH_WAIT_MS: int(0, 60_000, 20),
    WORKER_PREFETCH: int(1, 65_535, 2000),
    WORKER_HTTP_PORT: int(0, 65_535, 9464),
    WORKER_HTTP_HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    WORKER_HEARTBEAT_S: int(1, 600, 10),
    WORKER_RECONNECT_MIN_MS: int(0, 600_000, 250),
    WORKER_RECONNECT_MAX_MS: int(1, 3_600_000, 30_000),
    WORKER_SHUTDOWN_TIMEOUT_MS: int(100, 600_000, 15_000),
    // Two batches in flight, plus the readiness check.
    WORKER_DB_POOL_MAX: int(3, 100, 4),
    WORKER_MAX_EVENTS_PER_TRANSACTION: int(1, 100_000, 1000),
    WORKER_ACK_WAIT_MS: int(100, 600_000, 5000),
    WORKER_MAX_BYTES_IN_HAND: int(1024 * 1024, 16 * 1024 * 1024 * 1024, 64 * 1024 * 1024),
  },
} as const;

interface Env {
  AMQP_URL: string;
  DATABASE_URL: string;
  FEED_QUEUE_TYPE: QueueType;
  LOG_LEVEL: LogLevel;
  LOG_PRETTY: boolean;
  WORKER_BATCH_SIZE: number;
  WORKER_BATCH_WAIT_MS: number;
  WORKER_PREFETCH: number;
  WORKER_HTTP_PORT: number;
  WORKER_HTTP_HOST: string;
  WORKER_HEARTBEAT_S: number;
  WORKER_RECONNECT_MIN_MS: number;
  WORKER_RECONNECT_MAX_MS: number;
  WORKER_SHUTDOWN_TIMEOUT_MS: number;
  WORKER_DB_POOL_MAX: number;
  WORKER_MAX_EVENTS_PER_TRANSACTION: number;
  WORKER_ACK_WAIT_MS: number;
  WORKER_MAX_BYTES_IN_HAND: number;
}

function invalid(message: string): FeedError {
  return new FeedError(FeedErrorCode.Config, `invalid configuration: ${message}`);
}

/**
 * Reads the worker's variables (see .env.example). A wrong value throws a FeedError whose
 * message names the variable, so the process stops at start instead of misbehaving later.
 */
export function loadConfig(env: Record<string, string | undefined>): WorkerConfig {
  // Empty values count as unset, as in a .env file with `NAME=`.
  const data = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in schema.properties && value !== ''),
  );
  let values: Env;
  try {
    values = envSchema<Env>({ schema, data, env: false, dotenv: false });
  } catch (error) {
    const message = (error as Error).message.replace(/^env\//, '');
    const name = /^([A-Z_]+) /.exec(message)?.[1];
    const allowed =
      name !== undefined && name in schema.properties
        ? (
            schema.properties[name as keyof typeof schema.properties] as {
              enum?: readonly string[];
            }
          ).enum
        : undefined;
    throw invalid(allowed === undefined ? message : `${message}: ${allowed.join(', ')}`);
  }

  let amqpUrls: string[];
  try {
    amqpUrls = parseAmqpUrls(values.AMQP_URL);
  } catch (error) {
    throw invalid(`AMQP_URL: ${(error as Error).message}`);
  }
  try {
    const url = new URL(values.DATABASE_URL);
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error();
  } catch {
    throw invalid('DATABASE_URL must be a postgres:// URL');
  }
  if (values.WORKER_RECONNECT_MAX_MS < values.WORKER_RECONNECT_MIN_MS)
    throw invalid('WORKER_RECONNECT_MAX_MS must be >= WORKER_RECONNECT_MIN_MS');
  if (values.WORKER_PREFETCH < values.WORKER_BATCH_SIZE)
    throw invalid('WORKER_PREFETCH must be >= WORKER_BATCH_SIZE (a batch could never fill)');

  return {
    amqpUrls,
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
    maxEventsPerTransaction: values.WORKER_MAX_EVENTS_PER_TRANSACTION,
    ackWaitMs: values.WORKER_ACK_WAIT_MS,
    maxBytesInHand: values.WORKER_MAX_BYTES_IN_HAND,
  };
}
