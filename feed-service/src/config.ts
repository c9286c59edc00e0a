import envSchema from 'env-schema';
import { FeedError, FeedErrorCode, parseAmqpUrls, type QueueType } from '@feed/contracts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface ServiceConfig {
  host: string;
  /** 0: any free port (the bound one is logged). */
  port: number;
  databaseUrl: string;
  /** Broker nodes for POST /events, tried in turn (AMQP_URL, comma-separated). */
  amqpUrls: string[];
  queueType: QueueType;
  logLevel: LogLevel;
  logPretty: boolean;
  /** Keys that may POST /events. Empty: POST /events is refused. */
  apiKeys: string[];
  /** Token for hide and erase. Undefined: admin operations are refused. */
  adminToken: string | undefined;
  /** Bearer tokens for reading. Empty: reading is open. */
  readTokens: string[];
  /** Portal origins allowed by CORS. Empty: no cross-origin access. */
  corsOrigins: string[];
  /** Requests per minute per client address. */
  rateLimitMax: number;
  dbPoolMax: number;
  /** Comment line sent on idle streams so proxies keep them open, ms. */
  streamHeartbeatMs: number;
  /** Bytes a stream client may fall behind before it is disconnected. */
  streamMaxBufferedBytes: number;
  /** Most characters in a request's query string. */
  maxQueryLength: number;
}

const int = (minimum: number, maximum: number, defaultValue: number) => ({
  type: 'integer',
  minimum,
  maximum,
  default: defaultValue,
});
const text = (defaultValue: string) => ({ type: 'string', default: defaultValue });

const schema = {
  type: 'object',
  properties: {
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    PORT: int(0, 65_535, 3000),
    DATABASE_URL: {
      type: 'string',
      minLength: 1,
      default: 'postgres://postgres@127.0.0.1:5432/feed',
    },
    AMQP_URL: { type: 'string', minLength: 1, default: 'amqp://guest:guest@127.0.0.1:5672' },
    FEED_QUEUE_TYPE: { type: 'string', enum: ['quorum', 'classic'], default: 'quorum' },
    LOG_LEVEL: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
    },
    LOG_PRETTY: { type: 'boolean', default: false },
    SERVICE_API_KEYS: text(''),
    SERVICE_ADMIN_TOKEN: text(''),
    SERVICE_READ_TOKENS: text(''),
    SERVICE_CORS_ORIGINS: text(''),
    SERVICE_RATE_LIMIT_MAX: int(1, 10_000_000, 6000),
    SERVICE_DB_POOL_MAX: int(2, 200, 10),
    SERVICE_STREAM_HEARTBEAT_MS: int(1000, 300_000, 15_000),
    SERVICE_STREAM_MAX_BUFFERED_BYTES: int(1024, 1024 * 1024 * 1024, 1024 * 1024),
    SERVICE_MAX_QUERY_LENGTH: int(64, 65_536, 2048),
  },
} as const;

interface Env {
  HOST: string;
  PORT: number;
  DATABASE_URL: string;
  AMQP_URL: string;
  FEED_QUEUE_TYPE: QueueType;
  LOG_LEVEL: LogLevel;
  LOG_PRETTY: boolean;
  SERVICE_API_KEYS: string;
  SERVICE_ADMIN_TOKEN: string;
  SERVICE_READ_TOKENS: string;
  SERVICE_CORS_ORIGINS: string;
  SERVICE_RATE_LIMIT_MAX: number;
  SERVICE_DB_POOL_MAX: number;
  SERVICE_STREAM_HEARTBEAT_MS: number;
  SERVICE_STREAM_MAX_BUFFERED_BYTES: number;
  SERVICE_MAX_QUERY_LENGTH: number;
}

function invalid(message: string): FeedError {
  return new FeedError(FeedErrorCode.Config, `invalid configuration: ${message}`);
}

/** "a, b,,c" → ["a", "b", "c"]. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Secrets shorter than this are guessable; refusing them at start beats a weak deployment. */
const minSecretLength = 16;

function secrets(name: string, value: string): string[] {
  const items = list(value);
  if (items.some((item) => item.length < minSecretLength))
    throw invalid(`${name}: every token must have at least ${minSecretLength} characters`);
  return items;
}

/**
 * Reads the service's variables (see .env.example). A wrong value throws a FeedError whose
 * message names the variable, so the process stops at start instead of misbehaving later.
 */
export function loadConfig(env: Record<string, string | undefined>): ServiceConfig {
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
  const corsOrigins = list(values.SERVICE_CORS_ORIGINS);
  for (const origin of corsOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin)
      throw invalid(
        `SERVICE_CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`,
      );
  }
  const adminTokens = secrets('SERVICE_ADMIN_TOKEN', values.SERVICE_ADMIN_TOKEN);
  if (adminTokens.length > 1) throw invalid('SERVICE_ADMIN_TOKEN must be one token');

  return {
    host: values.HOST,
    port: values.PORT,
    databaseUrl: values.DATABASE_URL,
    amqpUrls,
    queueType: values.FEED_QUEUE_TYPE,
    logLevel: values.LOG_LEVEL,
    logPretty: values.LOG_PRETTY,
    apiKeys: secrets('SERVICE_API_KEYS', values.SERVICE_API_KEYS),
    adminToken: adminTokens[0],
    readTokens: secrets('SERVICE_READ_TOKENS', values.SERVICE_READ_TOKENS),
    corsOrigins,
    rateLimitMax: values.SERVICE_RATE_LIMIT_MAX,
    dbPoolMax: values.SERVICE_DB_POOL_MAX,
    streamHeartbeatMs: values.SERVICE_STREAM_HEARTBEAT_MS,
    streamMaxBufferedBytes: values.SERVICE_STREAM_MAX_BUFFERED_BYTES,
    maxQueryLength: values.SERVICE_MAX_QUERY_LENGTH,
  };
}
