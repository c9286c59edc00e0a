import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('defaults to localhost, open reading, no publishing and no admin', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/feed',
      amqpUrls: ['amqp://guest:guest@127.0.0.1:5672'],
      queueType: 'quorum',
      logLevel: 'info',
      logPretty: false,
      apiKeys: [],
      apiKeyEventsPerMinute: 100000,
      adminToken: undefined,
      readTokens: [],
      corsOrigins: [],
      rateLimitMax: 6000,
      authFailureMax: 30,
      trustedProxies: [],
      readerTokenSecret: undefined,
      localReader: undefined,
      dbPoolMax: 10,
      streamHeartbeatMs: 15000,
      streamMaxBufferedBytes: 1048576,
      streamsMax: 2000,
      streamsPerClient: 50,
      streamCatchUpConcurrency: 2,
      requestTimeoutMs: 30000,
      socketTimeoutMs: 60000,
      statementTimeoutMs: 10000,
      maxQueryLength: 2048,
      memoryCache: true,
      itemCacheBytes: 128 * 1024 * 1024,
    });
  });

  it('takes a reader token secret of 32 characters or more, and a local reader only outside production', () => {
    expect(() => loadConfig({ SERVICE_READER_TOKEN_SECRET: 'short-secret' })).toThrow(
      'invalid configuration: SERVICE_READER_TOKEN_SECRET must have at least 32 characters (HS256 wants a key as long as its hash)',
    );
    expect(loadConfig({ SERVICE_LOCAL_READER: ' local-reader ' }).localReader).toBe('local-reader');
    expect(() =>
      loadConfig({ SERVICE_LOCAL_READER: 'local-reader', NODE_ENV: 'production' }),
    ).toThrow(/^invalid configuration: SERVICE_LOCAL_READER is for a machine of your own/);
  });

  it('reads lists and treats empty values as unset', () => {
    const config = loadConfig({
      PORT: '0',
      SERVICE_API_KEYS: ' a=key-aaaaaaaaaaaaaaaa , b=key-bbbbbbbbbbbbbbbb ,',
      SERVICE_READ_TOKENS: '',
      SERVICE_ADMIN_TOKEN: 'admin-token-0123456789',
      SERVICE_CORS_ORIGINS: 'https://portal.example.com,http://localhost:5173',
      LOG_PRETTY: 'true',
      AMQP_URL: 'amqp://a:5672,amqp://b:5672',
      SERVICE_MEMORY_CACHE: 'false',
      SERVICE_ITEM_CACHE_MB: '16',
    });
    expect(config).toMatchObject({
      port: 0,
      apiKeys: [
        { id: 'key:a', secret: 'key-aaaaaaaaaaaaaaaa', sources: ['a'] },
        { id: 'key:b', secret: 'key-bbbbbbbbbbbbbbbb', sources: ['b'] },
      ],
      readTokens: [],
      adminToken: 'admin-token-0123456789',
      corsOrigins: ['https://portal.example.com', 'http://localhost:5173'],
      logPretty: true,
      amqpUrls: ['amqp://a:5672', 'amqp://b:5672'],
      memoryCache: false,
      itemCacheBytes: 16 * 1024 * 1024,
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'invalid configuration: PORT must be integer'],
    [{ PORT: '70000' }, 'invalid configuration: PORT must be <= 65535'],
    [
      { FEED_QUEUE_TYPE: 'x' },
      'invalid configuration: FEED_QUEUE_TYPE must be equal to one of the allowed values: quorum, classic',
    ],
    [{ LOG_PRETTY: 'maybe' }, 'invalid configuration: LOG_PRETTY must be boolean'],
    [
      { SERVICE_MEMORY_CACHE: 'off' },
      'invalid configuration: SERVICE_MEMORY_CACHE must be boolean',
    ],
    [
      { DATABASE_URL: 'mysql://x' },
      'invalid configuration: DATABASE_URL must be a postgres:// URL',
    ],
    [
      { SERVICE_API_KEYS: 'a=short' },
      'invalid configuration: SERVICE_API_KEYS: entry 1: every key must have at least 16 characters',
    ],
    [
      { SERVICE_READ_TOKENS: 'long-enough-token-1,x' },
      'invalid configuration: SERVICE_READ_TOKENS: every token must have at least 16 characters',
    ],
    [
      { SERVICE_CORS_ORIGINS: 'https://portal.example.com/' },
      'invalid configuration: SERVICE_CORS_ORIGINS: "https://portal.example.com/" is not an origin (scheme://host[:port], no path)',
    ],
    [{ SERVICE_RATE_LIMIT_MAX: '0' }, 'invalid configuration: SERVICE_RATE_LIMIT_MAX must be >= 1'],
    [{ SERVICE_DB_POOL_MAX: '1' }, 'invalid configuration: SERVICE_DB_POOL_MAX must be >= 2'],
    [
      { SERVICE_SOCKET_TIMEOUT_MS: '15000' },
      'invalid configuration: SERVICE_SOCKET_TIMEOUT_MS (15000) must be above SERVICE_STREAM_HEARTBEAT_MS (15000): an idle live stream would be cut between two heartbeats',
    ],
    [
      { SERVICE_DB_POOL_MAX: '2' },
      'invalid configuration: SERVICE_STREAM_CATCHUP_CONCURRENCY (2) must be below SERVICE_DB_POOL_MAX (2): pages need a connection while streams catch up',
    ],
    [
      { AMQP_URL: 'http://x' },
      "invalid configuration: AMQP_URL: 'http://x' is not an amqp:// or amqps:// URL",
    ],
    [
      { SERVICE_ADMIN_TOKEN: 'aaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbb' },
      'invalid configuration: SERVICE_ADMIN_TOKEN must be one token',
    ],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrowError(message);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).toBe(message);
      expect((error as { code?: string }).code).toBe('FEED_ERR_CONFIG');
    }
  });
});
