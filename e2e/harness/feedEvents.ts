import type { FeedEvent } from '@feed/contracts';
import type { PlainMessage } from './plainPublisher.js';

/** A valid catalogue event, distinct per id. */
export function employeeRegistered(source: string, id: string): FeedEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type: 'employee.registered',
    time: new Date().toISOString(),
    data: { employeeId: `emp-${id}`, name: `Person ${id}`, team: 'Platform', position: 'Engineer' },
  };
}

/** A reaction to the event `(targetSource, targetId)`. */
export function reactionAdded(
  source: string,
  id: string,
  target: { source: string; id: string },
  actor: string,
  reaction = 'like',
): FeedEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type: 'reaction.added',
    time: new Date().toISOString(),
    data: { target, reaction, actor },
  };
}

/** One event as a structured CloudEvents message, as any AMQP client can send it. */
export function structuredMessage(event: FeedEvent, direct = false): PlainMessage {
  return {
    content: Buffer.from(JSON.stringify(event)),
    properties: {
      contentType: 'application/cloudevents+json',
      messageId: event.id,
      appId: event.source,
      type: event.type,
      persistent: true,
    },
    direct,
  };
}

/**
 * The data alone as the body, the attributes in AMQP properties (message_id, app_id, type,
 * timestamp), straight to the queue through the default exchange: what a minimal pika
 * publisher sends.
 */
export function propertiesMessage(event: FeedEvent): PlainMessage {
  return {
    content: Buffer.from(JSON.stringify(event.data)),
    properties: {
      contentType: 'application/json',
      messageId: event.id,
      appId: event.source,
      type: event.type,
      timestamp: Math.floor(Date.now() / 1000),
      persistent: true,
    },
    direct: true,
  };
}

export interface PoisonMessage {
  message: PlainMessage;
  /** The code the worker must park it with. */
  code: string;
  label: string;
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** One of each kind of message the feed can never store, each with its own message_id. */
export function poisonMessages(source: string, prefix: string): PoisonMessage[] {
  const props = (id: string, contentType = 'application/json') => ({
    contentType,
    messageId: id,
    appId: source,
    type: 'employee.registered',
    persistent: true,
  });
  const make = (label: string, code: string, content: Buffer, contentType?: string) => {
    const id = `${prefix}-${label}`;
    return { label, code, message: { content, properties: props(id, contentType) } };
  };
  const valid = (id: string) => employeeRegistered(source, `${prefix}-${id}`);
  return [
    make('not-json', 'FEED_ERR_NOT_JSON', Buffer.from('{"specversion": "1.0", id: oops')),
    make(
      'wrong-schema',
      'FEED_ERR_SCHEMA',
      Buffer.from(JSON.stringify({ ...valid('wrong-schema'), data: { employeeId: 'x' } })),
    ),
    make('five-mb', 'FEED_ERR_TOO_LARGE', Buffer.alloc(5 * 1024 * 1024, 0x20)),
    make('deep', 'FEED_ERR_TOO_DEEP', Buffer.from(nested(20_000))),
    make(
      'proto',
      'FEED_ERR_FORBIDDEN_KEY',
      Buffer.from(
        `{"specversion":"1.0","id":"${prefix}-proto","source":"${source}","type":"x.y","time":"2024-01-01T00:00:00Z","data":{"__proto__":{"admin":true}}}`,
      ),
    ),
    make(
      'content-type',
      'FEED_ERR_CONTENT_TYPE',
      Buffer.from(JSON.stringify(valid('content-type'))),
      'text/plain',
    ),
    make('huge-array', 'FEED_ERR_BATCH_TOO_LARGE', Buffer.from(`[${'1,'.repeat(300_000)}1]`)),
  ];
}
