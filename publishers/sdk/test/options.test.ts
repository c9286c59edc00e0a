import { describe, expect, it } from 'vitest';
import { resolvePublisherOptions } from '../src/options.js';
import { withHeartbeat } from '@feed/contracts';

const base = { url: 'amqp://guest:guest@127.0.0.1:5672', source: 'registrar' };

describe('resolvePublisherOptions', () => {
  it('fills the documented defaults', () => {
    const options = resolvePublisherOptions(base);
    expect(options).toMatchObject({
      urls: ['amqp://guest:guest@127.0.0.1:5672'],
      source: 'registrar',
      queueType: 'quorum',
      maxBuffered: 10_000,
      publishTimeoutMs: 10_000,
      exchange: 'feed',
      heartbeatS: 10,
      closeTimeoutMs: 10_000,
    });
  });

  it('takes several cluster nodes', () => {
    expect(resolvePublisherOptions({ ...base, url: 'amqp://a, amqp://b' }).urls).toEqual([
      'amqp://a',
      'amqp://b',
    ]);
  });

  it.each([
    [
      { ...base, url: 'http://x' },
      "createFeedPublisher: url: 'http://x' is not an amqp:// or amqps:// URL",
    ],
    [{ ...base, url: '' }, 'createFeedPublisher: url: no AMQP URL given'],
    [
      { ...base, source: '' },
      'createFeedPublisher: source must be a non-empty string of at most 200 characters',
    ],
    [
      { ...base, maxBuffered: 0 },
      'createFeedPublisher: maxBuffered must be a positive integer, got 0',
    ],
    [
      { ...base, publishTimeoutMs: 1.5 },
      'createFeedPublisher: publishTimeoutMs must be a positive integer, got 1.5',
    ],
    [
      { ...base, queueType: 'stream' as 'quorum' },
      "createFeedPublisher: queueType must be 'quorum' or 'classic', got 'stream'",
    ],
  ])('refuses %j', (options, message) => {
    expect(() => resolvePublisherOptions(options)).toThrow(message);
  });

  it('never shows the password of a bad URL', () => {
    expect(() => resolvePublisherOptions({ ...base, url: 'http://u:secret@x' })).toThrow(
      /u:\*\*\*@x/,
    );
  });
});

describe('withHeartbeat', () => {
  it('adds a heartbeat unless the URL has one', () => {
    expect(withHeartbeat('amqp://h/v', 10)).toBe('amqp://h/v?heartbeat=10');
    expect(withHeartbeat('amqp://h/v?heartbeat=3', 10)).toBe('amqp://h/v?heartbeat=3');
  });
});
