import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      amqpUrls: ['amqp://guest:guest@127.0.0.1:5672'],
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/feed',
      queueType: 'quorum',
      logLevel: 'info',
      logPretty: false,
      batchSize: 1000,
      batchWaitMs: 20,
      prefetch: 3000,
      httpPort: 9464,
      httpHost: '127.0.0.1',
      heartbeatS: 10,
      reconnectMinMs: 250,
      reconnectMaxMs: 30000,
      shutdownTimeoutMs: 15000,
      statementTimeoutMs: 60000,
      dbPoolMax: 4,
      batchesInFlight: 2,
      maxEventsPerTransaction: 1000,
      ackWaitMs: 5000,
      maxBytesInHand: 64 * 1024 * 1024,
    });
  });

  it('reads every variable, several broker nodes, and ignores others', () => {
    const config = loadConfig({
      AMQP_URL: 'amqp://u:p@a:5672, amqp://u:p@b:5672',
      DATABASE_URL: 'postgresql://db/feed',
      FEED_QUEUE_TYPE: 'classic',
      LOG_LEVEL: 'debug',
      LOG_PRETTY: 'true',
      WORKER_BATCH_SIZE: '100',
      WORKER_BATCH_WAIT_MS: '0',
      WORKER_PREFETCH: '400',
      WORKER_HTTP_PORT: '0',
      WORKER_HTTP_HOST: '0.0.0.0',
      WORKER_HEARTBEAT_S: '5',
      WORKER_RECONNECT_MIN_MS: '10',
      WORKER_RECONNECT_MAX_MS: '1000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '3000',
      WORKER_DB_POOL_MAX: '8',
      PATH: '/bin',
    });
    expect(config).toMatchObject({
      amqpUrls: ['amqp://u:p@a:5672', 'amqp://u:p@b:5672'],
      queueType: 'classic',
      logPretty: true,
      batchSize: 100,
      batchWaitMs: 0,
      prefetch: 400,
      httpPort: 0,
      heartbeatS: 5,
      dbPoolMax: 8,
    });
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ WORKER_BATCH_SIZE: '' }).batchSize).toBe(1000);
  });

  it.each([
    [{ WORKER_BATCH_SIZE: 'many' }, 'invalid configuration: WORKER_BATCH_SIZE must be integer'],
    [{ WORKER_BATCH_SIZE: '0' }, 'invalid configuration: WORKER_BATCH_SIZE must be >= 1'],
    [{ WORKER_PREFETCH: '1.5' }, 'invalid configuration: WORKER_PREFETCH must be integer'],
    [{ WORKER_HTTP_PORT: '70000' }, 'invalid configuration: WORKER_HTTP_PORT must be <= 65535'],
    [{ LOG_PRETTY: 'maybe' }, 'invalid configuration: LOG_PRETTY must be boolean'],
    [
      { FEED_QUEUE_TYPE: 'stream' },
      'invalid configuration: FEED_QUEUE_TYPE must be equal to one of the allowed values: quorum, classic',
    ],
    [
      { AMQP_URL: 'http://x' },
      "invalid configuration: AMQP_URL: 'http://x' is not an amqp:// or amqps:// URL",
    ],
    [{ AMQP_URL: ' , ' }, 'invalid configuration: AMQP_URL: no AMQP URL given'],
    [
      { DATABASE_URL: 'mysql://x/y' },
      'invalid configuration: DATABASE_URL must be a postgres:// URL',
    ],
    [
      { WORKER_RECONNECT_MIN_MS: '500', WORKER_RECONNECT_MAX_MS: '100' },
      'invalid configuration: WORKER_RECONNECT_MAX_MS must be >= WORKER_RECONNECT_MIN_MS',
    ],
    [
      { WORKER_BATCH_SIZE: '600', WORKER_PREFETCH: '100' },
      'invalid configuration: WORKER_PREFETCH must be >= WORKER_BATCH_SIZE (a batch could never fill)',
    ],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(
      expect.objectContaining({ message, code: 'FEED_ERR_CONFIG' }),
    );
  });

  it('never shows a password in an error', () => {
    expect(() => loadConfig({ AMQP_URL: 'http://u:secret@x' })).toThrow(/\*\*\*/);
    expect(() => loadConfig({ AMQP_URL: 'http://u:secret@x' })).not.toThrow(/secret/);
  });
});
