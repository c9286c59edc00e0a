import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const secret = 'key-0123456789abcdef';

describe('SERVICE_API_KEYS', () => {
  it('binds each key to its sources, or any source with *', () => {
    const { apiKeys } = loadConfig({
      SERVICE_API_KEYS: `registrar=${secret}1, registrar|hr-service = ${secret}2,*=${secret}3=`,
    });
    expect(apiKeys).toEqual([
      { id: 'key:registrar', secret: `${secret}1`, sources: ['registrar'] },
      {
        id: 'key:registrar|hr-service',
        secret: `${secret}2`,
        sources: ['registrar', 'hr-service'],
      },
      { id: 'key:*', secret: `${secret}3=`, sources: 'any' },
    ]);
  });

  it.each([
    [
      secret,
      'invalid configuration: SERVICE_API_KEYS: entry 1 names no source: write <source>=<key> (registrar=…, registrar|hr-service=…, or *=… for any source)',
    ],
    [
      'registrar=short',
      'invalid configuration: SERVICE_API_KEYS: entry 1: every key must have at least 16 characters',
    ],
    [
      `registrar=${secret},a b=${secret}`,
      'invalid configuration: SERVICE_API_KEYS: entry 2: "a b" is no source name (no spaces, |, =, comma or *; at most 200 characters)',
    ],
  ])('refuses %s', (value, message) => {
    expect(() => loadConfig({ SERVICE_API_KEYS: value })).toThrow(message);
  });
});
