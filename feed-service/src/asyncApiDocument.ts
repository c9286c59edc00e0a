import type { TSchema } from '@sinclair/typebox';
import {
  EventTypePattern,
  WireEventSchema,
  catalogue,
  limits,
  queueArguments,
  topology,
} from '@feed/contracts';
import { inlineSchema } from './schemas.js';

const amqpBinding = '0.3.0';

/**
 * One event of a type as sent: the CloudEvents form of the wire contract, with `type` fixed and
 * `data` that type's schema.
 */
function eventPayload(
  type: string | undefined,
  data: TSchema | undefined,
): Record<string, unknown> {
  const envelope = inlineSchema(WireEventSchema) as unknown as {
    properties: Record<string, unknown>;
    required: string[];
    description: string;
  };
  return {
    type: 'object',
    description: envelope.description,
    required: envelope.required,
    additionalProperties: true,
    properties: {
      ...envelope.properties,
      type:
        type === undefined
          ? { type: 'string', pattern: EventTypePattern, maxLength: limits.maxTypeLength }
          : { type: 'string', const: type },
      data: data === undefined ? {} : inlineSchema(data),
    },
  };
}

/**
 * The wire contract for publishers as an AsyncAPI 3.0 document, generated from the same
 * catalogue schemas the worker validates with and the OpenAPI document shows.
 */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  for (const [type, schema] of Object.entries(catalogue)) {
    messages[type] = {
      name: type,
      title: type,
      summary: schema.description,
      contentType: 'application/cloudevents+json',
      payload: eventPayload(type, schema),
      bindings: { amqp: { messageType: type, bindingVersion: amqpBinding } },
    };
  }
  messages.generic = {
    name: 'generic',
    title: 'Any other event type',
    summary:
      'A well-formed event of a type outside the catalogue is stored as a generic event: a new producer needs no worker release.',
    contentType: 'application/cloudevents+json',
    payload: eventPayload(undefined, undefined),
  };
  const messageRefs = (channel: string) =>
    Object.keys(messages).map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));
  const channelMessages = Object.fromEntries(
    Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }]),
  );
  const publishRules = [
    'Messages are persistent (delivery mode 2), UTF-8 JSON, `content_type` `application/json` or `application/cloudevents+json`, at most 1 MiB.',
    `The body is one event or a JSON array of events, stored whole within the size limit (at most ${limits.maxEventsPerMessage} per message). An event is CloudEvents 1.0 structured JSON (the payload below); its other keys are extension attributes, stored and served beside it.`,
    'A plain JSON object without `specversion` is an event too when it has a `data` key, or a string `type` while the message has no `type` property: then its keys other than the attributes are the data (when it has no `data` key) or extension attributes. Any other object is the data of one event whose attributes come from the properties.',
    'AMQP properties fill what the body leaves out: `message_id` → `id` (suffixed `:<index>` for array items), `app_id` → `source`, `type` → `type`, `timestamp` → `time`.',
    '`actor` and `subject` may be objects with an `id` (a string or an integer) and a display name (`name`, `displayName` or `login`). A `time` without an offset is UTC. NaN and Infinity are not JSON: send null.',
    '`(source, id)` identifies an event: a redelivery is stored once. Publish with confirms.',
  ].join(' ');

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Company event feed: publisher contract',
      version: '1.0.0',
      description: `How any service publishes events to the company feed over AMQP 0-9-1 (RabbitMQ). ${publishRules} A message that can never be stored is dead-lettered to \`${topology.deadLetterQueue}\` with \`x-feed-error-code\` and \`x-feed-error\` headers.`,
    },
    defaultContentType: 'application/cloudevents+json',
    channels: {
      feedExchange: {
        address: topology.exchange,
        title: 'The feed exchange',
        description: `Topic exchange; the routing key is the event type. Bound to the queue \`${topology.queue}\` with \`${topology.bindingKey}\`.`,
        messages: channelMessages,
        bindings: {
          amqp: {
            is: 'routingKey',
            exchange: {
              name: topology.exchange,
              type: topology.exchangeType,
              durable: true,
              autoDelete: false,
              vhost: '/',
            },
            bindingVersion: amqpBinding,
          },
        },
      },
      eventStream: {
        address: '/events/stream',
        title: 'The live stream (SSE)',
        description:
          'GET /events/stream of the feed service, with the filters of GET /events: text/event-stream frames.',
        messages: Object.fromEntries(
          Object.keys(streamMessages).map((name) => [
            name,
            { $ref: `#/components/messages/${name}` },
          ]),
        ),
      },
      feedQueue: {
        address: topology.queue,
        title: 'The feed queue',
        description: `Publishing straight to the queue through the default exchange (routing key \`${topology.queue}\`) also works. Declared with arguments ${JSON.stringify(queueArguments())} (x-queue-type may be classic where configured).`,
        messages: channelMessages,
        bindings: {
          amqp: {
            is: 'queue',
            queue: {
              name: topology.queue,
              durable: true,
              exclusive: false,
              autoDelete: false,
              vhost: '/',
            },
            bindingVersion: amqpBinding,
          },
        },
      },
    },
    operations: {
      publishToExchange: {
        action: 'send',
        title: 'Publish events to the feed exchange',
        description: publishRules,
        channel: { $ref: '#/channels/feedExchange' },
        messages: messageRefs('feedExchange'),
        bindings: { amqp: { deliveryMode: 2, mandatory: true, bindingVersion: amqpBinding } },
      },
      publishToQueue: {
        action: 'send',
        title: 'Publish events straight to the feed queue',
        channel: { $ref: '#/channels/feedQueue' },
        messages: messageRefs('feedQueue'),
        bindings: { amqp: { deliveryMode: 2, bindingVersion: amqpBinding } },
      },
      receiveStream: {
        action: 'receive',
        title: 'Follow the feed live',
        description:
          "Server-Sent Events from `GET /events/stream`: new events and changes to events, in the feed's one order. Every frame's `id` is a position; `Last-Event-ID` resumes after it with no gap.",
        channel: { $ref: '#/channels/eventStream' },
        messages: Object.keys(streamMessages).map((name) => ({
          $ref: `#/channels/eventStream/messages/${name}`,
        })),
      },
    },
    components: { messages: { ...messages, ...streamMessages } },
  };
}

/** What a reader of the live stream receives (the SSE `event` name is the message's name). */
const streamMessages: Record<string, unknown> = {
  message: {
    name: 'message',
    title: 'A new event',
    summary: 'The SSE default event: `data` is the event as `GET /events` lists it.',
    contentType: 'application/json',
    payload: { type: 'object', required: ['id', 'source', 'type', 'time', 'cursor'] },
  },
  reactions: {
    name: 'reactions',
    title: 'Reaction counts of an event changed',
    summary:
      "`event: reactions`: the event's counters now (a stream filtered by type, source, actor or subject gets those of the events it selects).",
    contentType: 'application/json',
    payload: {
      type: 'object',
      required: ['id', 'source', 'reactions'],
      properties: {
        id: { type: 'string' },
        source: { type: 'string' },
        reactions: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
  },
  removed: {
    name: 'removed',
    title: 'An event left the feed',
    summary:
      "`event: removed`: hidden by an admin, or its person erased. Drop it from what you show. It carries the event's key only.",
    contentType: 'application/json',
    payload: {
      type: 'object',
      required: ['id', 'source'],
      properties: { id: { type: 'string' }, source: { type: 'string' } },
    },
  },
};
