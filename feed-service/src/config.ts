import { isIP } from 'node:net';
import {
  commonEnv,
  envBoolean,
  envInteger,
  envText,
  invalidConfig,
  loadEnv,
} from '@feed/contracts';
import type { Env, LogLevel, QueueType } from '@feed/contracts';
import { parseApiKeys, type ApiKey } from './apiKeys.js';

export interface ServiceConfig {
  host: string;
  /** 0: any free port (the bound one is logged). */
  port: number;
  databaseUrl: string;
  /**
   * A streaming standby of the feed database for reads (DATABASE_READ_URL), or undefined: every
   * read goes to DATABASE_URL. See ReadRouter.
   */
  databaseReadUrl: string | undefined;
  /** Broker nodes for POST /events, tried in turn (AMQP_URL, comma-separated). */
  amqpUrls: string[];
  queueType: QueueType;
  logLevel: LogLevel;
  logPretty: boolean;
  /** Keys that may POST /events, each bound to its sources. Empty: POST /events is refused. */
  apiKeys: ApiKey[];
  /** Events each key may publish per minute. */
  apiKeyEventsPerMinute: number;
  /** Token for hide and erase. Undefined: admin operations are refused. */
  adminToken: string | undefined;
  /** Bearer tokens for reading. Empty: reading is open. */
  readTokens: string[];
  /** Portal origins allowed by CORS. Empty: no cross-origin access. */
  corsOrigins: string[];
  /** Requests per minute per reader, per key, or per address for the rest. */
  rateLimitMax: number;
  /** Failed authentications per minute per address before it is answered 429 for the minute. */
  authFailureMax: number;
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses, CIDR ranges, or `loopback`,
   * `linklocal`, `uniquelocal`). Empty: none, the client is the peer address.
   */
  trustedProxies: string[];
  /**
   * Who reacts (see readerIdentity.ts): the HS256 secret of reader tokens
   * (`X-Feed-Reader-Token`), or undefined: no tokens. `X-Feed-Reader` is believed from
   * `trustedProxies` only.
   */
  readerTokenSecret: string | undefined;
  /** The reader of every request that names none (for `npm start`), or undefined: none. */
  localReader: string | undefined;
  dbPoolMax: number;
  /** Comment line sent on idle streams so proxies keep them open, ms. */
  streamHeartbeatMs: number;
  /** Bytes a stream client may fall behind before it is disconnected. */
  streamMaxBufferedBytes: number;
  /** Live streams one process serves at once. */
  streamsMax: number;
  /** Live streams one reader, key or address holds at once. */
  streamsPerClient: number;
  /** Streams reading what they missed from the database at once (below dbPoolMax). */
  streamCatchUpConcurrency: number;
  /** Receiving a whole request, headers and body, ms. */
  requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed, ms (above the heartbeat). */
  socketTimeoutMs: number;
  /** PostgreSQL statement_timeout of the service's pools, ms. */
  statementTimeoutMs: number;
  /** Most characters in a request's query string. */
  maxQueryLength: number;
  /**
   * Serve the head of the feed, and the other pages read since the last change, from memory
   * (both emptied at every change the live feed announces). false: every read asks the
   * database.
   */
  memoryCache: boolean;
  /** Most bytes of event items the ItemCache keeps (with memoryCache). */
  itemCacheBytes: number;
}

// Unset or empty: the feature is off (see ServiceConfig).
const optionalText = envText('', { minLength: 0 });

const variables = {
  HOST: envText('127.0.0.1'),
  PORT: envInteger(0, 65_535, 3000),
  DATABASE_URL: commonEnv.DATABASE_URL,
  AMQP_URL: commonEnv.AMQP_URL,
  FEED_QUEUE_TYPE: commonEnv.FEED_QUEUE_TYPE,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  LOG_PRETTY: commonEnv.LOG_PRETTY,
  SERVICE_API_KEYS: optionalText,
  SERVICE_API_KEY_EVENTS_PER_MINUTE: envInteger(1, 100_000_000, 100_000),
  SERVICE_ADMIN_TOKEN: optionalText,
  SERVICE_READ_TOKENS: optionalText,
  SERVICE_CORS_ORIGINS: optionalText,
  SERVICE_RATE_LIMIT_MAX: envInteger(1, 10_000_000, 6000),
  SERVICE_AUTH_FAILURE_MAX: envInteger(1, 1_000_000, 30),
  SERVICE_TRUSTED_PROXIES: optionalText,
  SERVICE_READER_TOKEN_SECRET: optionalText,
  SERVICE_LOCAL_READER: optionalText,
  NODE_ENV: optionalText,
  SERVICE_DB_POOL_MAX: envInteger(2, 200, 10),
  SERVICE_STREAM_HEARTBEAT_MS: envInteger(1000, 300_000, 15_000),
  SERVICE_STREAM_MAX_BUFFERED_BYTES: envInteger(1024, 1024 * 1024 * 1024, 1024 * 1024),
  SERVICE_STREAMS_MAX: envInteger(1, 1_000_000, 2000),
  SERVICE_STREAMS_PER_CLIENT: envInteger(1, 1_000_000, 50),
  SERVICE_STREAM_CATCHUP_CONCURRENCY: envInteger(1, 199, 2),
  SERVICE_REQUEST_TIMEOUT_MS: envInteger(1000, 3_600_000, 30_000),
  SERVICE_SOCKET_TIMEOUT_MS: envInteger(1000, 3_600_000, 60_000),
  SERVICE_STATEMENT_TIMEOUT_MS: envInteger(100, 3_600_000, 10_000),
  SERVICE_MAX_QUERY_LENGTH: envInteger(64, 65_536, 2048),
  SERVICE_MEMORY_CACHE: envBoolean(true),
  SERVICE_ITEM_CACHE_MB: envInteger(1, 65_536, 128),
  DATABASE_READ_URL: optionalText,
};

/** "a, b,,c" → ["a", "b", "c"]. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const proxyPresets = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8` or a preset name, as Fastify's trustProxy reads them. */
function trustedProxies(value: string): string[] {
  const items = list(value);
  for (const item of items) {
    const [address = '', prefix, ...rest] = item.split('/');
    const version = isIP(address);
    const prefixOk =
      prefix === undefined ||
      (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (version === 6 ? 128 : 32));
    if (proxyPresets.has(item)) continue;
    if (version === 0 || !prefixOk || rest.length > 0)
      throw invalidConfig(
        `SERVICE_TRUSTED_PROXIES: "${item}" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal`,
      );
  }
  return items;
}

/** 32 bytes: the length of HS256's hash, below which the key is the weak part. */
const minReaderSecretLength = 32;

/** Secrets shorter than this are guessable; refusing them at start beats a weak deployment. */
const minSecretLength = 16;

function secrets(name: string, value: string): string[] {
  const items = list(value);
  if (items.some((item) => item.length < minSecretLength))
    throw invalidConfig(`${name}: every token must have at least ${minSecretLength} characters`);
  return items;
}

/**
 * Reads the service's variables (see .env.example). A wrong value throws a FeedError whose
 * message names the variable, so the process stops at start instead of misbehaving later.
 */
export function loadConfig(env: Env): ServiceConfig {
  const values = loadEnv(variables, env);
  const corsOrigins = list(values.SERVICE_CORS_ORIGINS);
  for (const origin of corsOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin)
      throw invalidConfig(
        `SERVICE_CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`,
      );
  }
  const readUrl = values.DATABASE_READ_URL;
  if (readUrl !== '' && !/^postgres(ql)?:\/\//.test(readUrl))
    throw invalidConfig('DATABASE_READ_URL must be a postgres:// URL (or unset)');
  if (values.SERVICE_STREAM_CATCHUP_CONCURRENCY >= values.SERVICE_DB_POOL_MAX)
    throw invalidConfig(
      `SERVICE_STREAM_CATCHUP_CONCURRENCY (${values.SERVICE_STREAM_CATCHUP_CONCURRENCY}) must be below SERVICE_DB_POOL_MAX (${values.SERVICE_DB_POOL_MAX}): pages need a connection while streams catch up`,
    );
  const readerSecret = values.SERVICE_READER_TOKEN_SECRET;
  if (readerSecret !== '' && readerSecret.length < minReaderSecretLength)
    throw invalidConfig(
      `SERVICE_READER_TOKEN_SECRET must have at least ${minReaderSecretLength} characters (HS256 wants a key as long as its hash)`,
    );
  const localReader = values.SERVICE_LOCAL_READER.trim();
  if (localReader !== '' && values.NODE_ENV === 'production')
    throw invalidConfig(
      'SERVICE_LOCAL_READER is for a machine of your own: with NODE_ENV=production every request would react as one person. Unset it, and identify readers with SERVICE_READER_TOKEN_SECRET or SERVICE_TRUSTED_PROXIES',
    );
  if (localReader.length > 200) throw invalidConfig('SERVICE_LOCAL_READER: at most 200 characters');
  if (values.SERVICE_SOCKET_TIMEOUT_MS <= values.SERVICE_STREAM_HEARTBEAT_MS)
    throw invalidConfig(
      `SERVICE_SOCKET_TIMEOUT_MS (${values.SERVICE_SOCKET_TIMEOUT_MS}) must be above SERVICE_STREAM_HEARTBEAT_MS (${values.SERVICE_STREAM_HEARTBEAT_MS}): an idle live stream would be cut between two heartbeats`,
    );
  const adminTokens = secrets('SERVICE_ADMIN_TOKEN', values.SERVICE_ADMIN_TOKEN);
  if (adminTokens.length > 1) throw invalidConfig('SERVICE_ADMIN_TOKEN must be one token');

  return {
    host: values.HOST,
    port: values.PORT,
    databaseUrl: values.DATABASE_URL,
    databaseReadUrl: readUrl === '' ? undefined : readUrl,
    amqpUrls: values.AMQP_URL,
    queueType: values.FEED_QUEUE_TYPE,
    logLevel: values.LOG_LEVEL,
    logPretty: values.LOG_PRETTY,
    apiKeys: parseApiKeys(list(values.SERVICE_API_KEYS), minSecretLength),
    apiKeyEventsPerMinute: values.SERVICE_API_KEY_EVENTS_PER_MINUTE,
    adminToken: adminTokens[0],
    readTokens: secrets('SERVICE_READ_TOKENS', values.SERVICE_READ_TOKENS),
    corsOrigins,
    rateLimitMax: values.SERVICE_RATE_LIMIT_MAX,
    authFailureMax: values.SERVICE_AUTH_FAILURE_MAX,
    trustedProxies: trustedProxies(values.SERVICE_TRUSTED_PROXIES),
    readerTokenSecret: readerSecret === '' ? undefined : readerSecret,
    localReader: localReader === '' ? undefined : localReader,
    dbPoolMax: values.SERVICE_DB_POOL_MAX,
    streamHeartbeatMs: values.SERVICE_STREAM_HEARTBEAT_MS,
    streamMaxBufferedBytes: values.SERVICE_STREAM_MAX_BUFFERED_BYTES,
    streamsMax: values.SERVICE_STREAMS_MAX,
    streamsPerClient: values.SERVICE_STREAMS_PER_CLIENT,
    streamCatchUpConcurrency: values.SERVICE_STREAM_CATCHUP_CONCURRENCY,
    requestTimeoutMs: values.SERVICE_REQUEST_TIMEOUT_MS,
    socketTimeoutMs: values.SERVICE_SOCKET_TIMEOUT_MS,
    statementTimeoutMs: values.SERVICE_STATEMENT_TIMEOUT_MS,
    maxQueryLength: values.SERVICE_MAX_QUERY_LENGTH,
    memoryCache: values.SERVICE_MEMORY_CACHE,
    itemCacheBytes: values.SERVICE_ITEM_CACHE_MB * 1024 * 1024,
  };
}
