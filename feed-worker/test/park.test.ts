import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { parkedProperties, workerIdentity } from '../src/park.js';

describe('parkedProperties', () => {
  it('keeps the original properties and headers and says why, where and when', () => {
    const message = {
      content: Buffer.from('x'),
      fields: {
        exchange: 'feed',
        routingKey: 'employee.registered',
        deliveryTag: 7,
        redelivered: false,
      },
      properties: {
        contentType: 'application/json',
        contentEncoding: undefined,
        headers: { 'x-trace': 'abc' },
        deliveryMode: 1,
        priority: undefined,
        correlationId: 'c-1',
        replyTo: undefined,
        expiration: '60000',
        messageId: 'm-1',
        timestamp: 1_700_000_000,
        type: 'employee.registered',
        userId: 'guest',
        appId: 'hr',
        clusterId: undefined,
      },
    } as unknown as Message;
    const at = new Date('2026-01-01T00:00:00Z');
    expect(parkedProperties(message, { code: 'FEED_ERR_SCHEMA', reason: 'bad' }, at)).toEqual({
      contentType: 'application/json',
      correlationId: 'c-1',
      messageId: 'm-1',
      timestamp: 1_700_000_000,
      type: 'employee.registered',
      appId: 'hr',
      deliveryMode: 2,
      headers: {
        'x-trace': 'abc',
        'x-feed-error': 'bad',
        'x-feed-error-code': 'FEED_ERR_SCHEMA',
        'x-feed-parked-at': '2026-01-01T00:00:00.000Z',
        'x-feed-worker': workerIdentity,
        'x-feed-original-exchange': 'feed',
        'x-feed-original-routing-key': 'employee.registered',
        'x-feed-original-user-id': 'guest',
      },
    });
  });
});
