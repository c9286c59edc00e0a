import { describe, expect, it } from 'vitest';
import { backoffDelay, parseAmqpUrls, redactUrl, urlForAttempt } from '../src/index.js';

describe('backoffDelay', () => {
  const options = { minMs: 100, maxMs: 5000 };
  it('grows exponentially up to the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 10, 1000].map((n) =>
      backoffDelay(n, options, () => 0.999999),
    );
    expect(ceilings).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999]);
  });
  it('is fully jittered between zero and the ceiling', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
  });
  it('never exceeds the cap nor goes negative, for any attempt', () => {
    for (let attempt = -5; attempt < 2000; attempt += 7) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(5000);
    }
  });
});

describe('AMQP URLs', () => {
  it('splits a comma-separated list and rotates through it', () => {
    const urls = parseAmqpUrls(' amqp://a:5672 , amqp://b:5672,');
    expect(urls).toEqual(['amqp://a:5672', 'amqp://b:5672']);
    expect([0, 1, 2].map((n) => urlForAttempt(urls, n))).toEqual([urls[0], urls[1], urls[0]]);
  });
  it('names what is wrong, without the password', () => {
    expect(() => parseAmqpUrls('')).toThrow('no AMQP URL given');
    expect(() => parseAmqpUrls('http://u:secret@x')).toThrow(
      "'http://u:***@x' is not an amqp:// or amqps:// URL",
    );
    expect(() => parseAmqpUrls('nonsense')).toThrow("'nonsense' is not a URL");
    expect(redactUrl('amqp://guest:guest@h:5672/v')).toBe('amqp://guest:***@h:5672/v');
    // Every node of a list, as AMQP_URL holds it.
    expect(
      redactUrl(
        'amqp://feed:s1@n1:5672/v,amqps://feed:s%2C2@n2:5671/v, amqp://n3:5672,amqp://u:@n4',
      ),
    ).toBe('amqp://feed:***@n1:5672/v,amqps://feed:***@n2:5671/v, amqp://n3:5672,amqp://u:***@n4');
  });
});
