import { describe, expect, it } from 'vitest';
import {
  describeParked,
  keptProperties,
  previewBytes,
  replayProperties,
} from '../src/parkedMessage.js';

const parked = {
  content: Buffer.from('{"id":"e-1"}'),
  properties: {
    appId: 'hr',
    messageId: 'e-1',
    contentType: 'application/json',
    expiration: undefined,
    userId: undefined,
    headers: {
      'x-trace': Buffer.from('t-1'),
      'x-feed-error': 'data.name: required',
      'x-feed-error-code': 'FEED_ERR_SCHEMA',
      'x-feed-parked-at': '2026-01-01T00:00:00.000Z',
      'x-feed-park-id': 'host:7:ab:1',
      'x-feed-original-user-id': 'hr-user',
      'x-delivery-count': 3,
    },
  },
} as never;

describe('describeParked', () => {
  it('separates the original headers from the ones parking and the broker added', () => {
    const described = describeParked(parked);
    expect(described).toMatchObject({
      id: 'host:7:ab:1',
      code: 'FEED_ERR_SCHEMA',
      reason: 'data.name: required',
      sources: ['hr'],
      headers: { 'x-trace': 't-1' },
      properties: { appId: 'hr', messageId: 'e-1', contentType: 'application/json' },
      bodyEncoding: 'utf8',
      bodyBytes: 12,
    });
    expect(Object.keys(described.parkHeaders)).toContain('x-delivery-count');
  });

  it('previews a body that is not UTF-8 as base64, and only its start', () => {
    const big = { ...(parked as object), content: Buffer.alloc(5000, 0xff) } as never;
    const described = describeParked(big);
    expect(described.bodyEncoding).toBe('base64');
    expect(Buffer.from(described.bodyPreview, 'base64')).toHaveLength(previewBytes);
  });

  it('names a message the broker dead-lettered by the reason in x-death', () => {
    const broker = {
      content: Buffer.from('{}'),
      properties: { headers: { 'x-death': [{ reason: 'delivery_limit', count: 1 }] } },
    } as never;
    expect(describeParked(broker)).toMatchObject({ code: 'broker:delivery_limit', id: '' });
  });
});

describe('replayProperties', () => {
  it('keeps the original properties and headers, drops what parking added, names the park', () => {
    const options = replayProperties(parked);
    expect(options).toMatchObject({ appId: 'hr', messageId: 'e-1', deliveryMode: 2 });
    expect(options.headers).toEqual({
      'x-trace': Buffer.from('t-1'),
      'x-feed-replayed-from': 'host:7:ab:1',
    });
  });
  it('replays a message that had a user_id with the user the replay connected as', () => {
    expect(replayProperties(parked, 'registrar').userId).toBe('registrar');
    const { 'x-feed-original-user-id': _user, ...headers } = (
      parked as { properties: { headers: Record<string, unknown> } }
    ).properties.headers;
    const without = { properties: { headers } } as never;
    expect(replayProperties(without, 'registrar')).not.toHaveProperty('userId');
  });
});

describe('keptProperties', () => {
  it('keeps everything but the delivery count, and moves a user_id to a header', () => {
    const message = {
      properties: { userId: 'other', expiration: '100', headers: { 'x-delivery-count': 1 } },
    } as never;
    const options = keptProperties(message, 'dead:1');
    expect(options).not.toHaveProperty('userId');
    expect(options).not.toHaveProperty('expiration');
    expect(options.headers).toEqual({
      'x-feed-original-user-id': 'other',
      'x-feed-park-id': 'dead:1',
    });
  });
});
