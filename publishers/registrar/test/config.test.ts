import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('defaults to localhost', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 3100,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/registrar',
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      queueType: 'quorum',
      logLevel: 'info',
      logPretty: false,
      source: 'registrar',
    });
  });

  it('reads the variables, treating empty ones as unset', () => {
    const config = loadConfig({
      REGISTRAR_PORT: '4000',
      REGISTRAR_HOST: '',
      AMQP_URL: 'amqp://a,amqp://b',
      FEED_QUEUE_TYPE: 'classic',
      LOG_PRETTY: 'true',
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      amqpUrl: 'amqp://a,amqp://b',
      queueType: 'classic',
      logPretty: true,
    });
  });

  it.each([
    [{ REGISTRAR_PORT: 'abc' }, 'invalid configuration: REGISTRAR_PORT must be integer'],
    [{ REGISTRAR_PORT: '70000' }, 'invalid configuration: REGISTRAR_PORT must be <= 65535'],
    [
      { FEED_QUEUE_TYPE: 'stream' },
      'invalid configuration: FEED_QUEUE_TYPE must be equal to one of the allowed values: quorum, classic',
    ],
    [
      { AMQP_URL: 'http://x' },
      "invalid configuration: AMQP_URL: 'http://x' is not an amqp:// or amqps:// URL",
    ],
    [
      { REGISTRAR_DATABASE_URL: 'mysql://x' },
      'invalid configuration: REGISTRAR_DATABASE_URL must be a postgres:// URL',
    ],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
