import { describe, expect, it } from 'vitest';
import {
  commonEnv,
  envBoolean,
  envInteger,
  envPostgresUrl,
  envText,
  loadEnv,
} from '../src/index.js';

const variables = {
  COUNT: envInteger(1, 100, 10),
  NAME: envText('feed', { maxLength: 5 }),
  ON: envBoolean(true),
  FEED_QUEUE_TYPE: commonEnv.FEED_QUEUE_TYPE,
};

const refusal = (message: string) =>
  expect.objectContaining({
    code: 'FEED_ERR_CONFIG',
    message: `invalid configuration: ${message}`,
  });

describe('loadEnv', () => {
  it('gives the defaults, counts an empty value as unset and ignores other variables', () => {
    expect(loadEnv(variables, { COUNT: '', PATH: '/bin' })).toEqual({
      COUNT: 10,
      NAME: 'feed',
      ON: true,
      FEED_QUEUE_TYPE: 'quorum',
    });
  });

  it('converts numbers and booleans from their text', () => {
    expect(
      loadEnv(variables, { COUNT: '42', NAME: 'x', ON: 'false', FEED_QUEUE_TYPE: 'classic' }),
    ).toEqual({ COUNT: 42, NAME: 'x', ON: false, FEED_QUEUE_TYPE: 'classic' });
  });

  it.each([
    [{ COUNT: '1.5' }, 'COUNT must be integer'],
    [{ COUNT: 'ten' }, 'COUNT must be integer'],
    [{ COUNT: '0' }, 'COUNT must be >= 1'],
    [{ COUNT: '101' }, 'COUNT must be <= 100'],
    [{ NAME: 'too long' }, 'NAME must NOT have more than 5 characters'],
    [{ ON: '1' }, 'ON must be boolean'],
    [{ ON: 'yes' }, 'ON must be boolean'],
    [
      { FEED_QUEUE_TYPE: 'stream' },
      'FEED_QUEUE_TYPE must be equal to one of the allowed values: quorum, classic',
    ],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadEnv(variables, env)).toThrow(refusal(message));
  });

  it('names every wrong variable at once, in the order they are declared', () => {
    expect(() => loadEnv(variables, { ON: 'maybe', COUNT: 'x' })).toThrow(
      refusal('COUNT must be integer, ON must be boolean'),
    );
  });
});

describe('URL variables', () => {
  const urls = {
    AMQP_URL: commonEnv.AMQP_URL,
    OWN_DATABASE_URL: envPostgresUrl('postgres://db/own'),
  };

  it('read AMQP_URL as its list of nodes, and keep a postgres URL as it is', () => {
    expect(loadEnv(urls, {})).toEqual({
      AMQP_URL: ['amqp://guest:guest@127.0.0.1:5672'],
      OWN_DATABASE_URL: 'postgres://db/own',
    });
    expect(
      loadEnv(urls, { AMQP_URL: 'amqp://a, amqps://b', OWN_DATABASE_URL: 'postgresql://x/y' }),
    ).toEqual({ AMQP_URL: ['amqp://a', 'amqps://b'], OWN_DATABASE_URL: 'postgresql://x/y' });
  });

  it.each([
    [
      { AMQP_URL: 'http://u:secret@x' },
      "AMQP_URL: 'http://u:***@x' is not an amqp:// or amqps:// URL",
    ],
    [{ AMQP_URL: ' , ' }, 'AMQP_URL: no AMQP URL given'],
    [{ OWN_DATABASE_URL: 'mysql://x/y' }, 'OWN_DATABASE_URL must be a postgres:// URL'],
    [{ OWN_DATABASE_URL: 'not a url' }, 'OWN_DATABASE_URL must be a postgres:// URL'],
  ])('refuses %j naming the variable, never showing a password', (env, message) => {
    expect(() => loadEnv(urls, env)).toThrow(refusal(message));
  });
});
