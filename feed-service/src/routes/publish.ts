import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  EventTypePattern,
  TimePattern,
  WireId,
  WirePerson,
  bodyMode,
  limits,
  splitBody,
  validateData,
  type FeedEvent,
} from '@feed/contracts';
// The publisher's errors are checked with the publisher's own isFeedError: the package
// carries its own copy of the contract, whose FeedError is another class.
import { buildMessages, isFeedError } from '@feed/publisher';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import { defaultSource, mayPublishAs, type ApiKey } from '../apiKeys.js';
import {
  isBrokerUnavailable,
  type EventPublisher,
  type PublishEventInput,
} from '../eventPublisher.js';
import type { EventQuota } from '../eventQuota.js';
import type { Guards } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';

export interface PublishRoutesOptions {
  publisher: EventPublisher | undefined;
  guards: Guards;
  /** The key a request was let in with (plugins/auth.ts). */
  keyOf: (request: FastifyRequest) => ApiKey | undefined;
  /** SERVICE_API_KEY_EVENTS_PER_MINUTE. */
  quota: EventQuota;
}

/** Reactions of a reader come through the reaction endpoints, not as any key's events. */
const reactionTypes = new Set(['reaction.added', 'reaction.removed']);

/**
 * Binds each event to the key's sources: an event without a source gets the key's first, one
 * with a source of another service is refused (it could speak for it, or take its ids).
 */
function bindToKey(inputs: PublishEventInput[], key: ApiKey): void {
  inputs.forEach((event, index) => {
    if (event.source === undefined) event.source = defaultSource(key);
    else if (!mayPublishAs(key, event.source))
      throw new ApiError(
        403,
        ApiErrorCode.SourceForbidden,
        `event ${index}: ${key.id} may publish as ${(key.sources as string[]).join(', ')}, not "${event.source.slice(0, 40)}" (SERVICE_API_KEYS binds each key to its sources)`,
        { param: `/${index}/source` },
      );
    if (key.sources !== 'any' && reactionTypes.has(event.type))
      throw new ApiError(
        403,
        ApiErrorCode.TypeForbidden,
        `event ${index}: ${event.type} events come from the reaction endpoints, or a key for any source (*= in SERVICE_API_KEYS), not ${key.id}`,
        { param: `/${index}/type` },
      );
  });
}

const Text = (max: number, description: string) =>
  Type.String({ minLength: 1, maxLength: max, description });

/**
 * One event as POST /events takes it: the wire contract's rules, read as for an AMQP message
 * without a `type` property (so `type` is required, and the same body gives the same event).
 */
export const PublishEvent = Type.Object(
  {
    specversion: Type.Optional(Type.Literal('1.0')),
    type: Type.String({
      pattern: EventTypePattern,
      maxLength: limits.maxTypeLength,
      description: 'Event type; catalogue types have a strict `data` schema (see /asyncapi.json).',
    }),
    data: Type.Optional(
      Type.Unknown({
        description:
          'The event data. Without a `data` key (and without `specversion`) the keys other than the attributes are the data: `{"type": "kudos.sent", "text": "thanks"}`.',
      }),
    ),
    id: Type.Optional(
      WireId(
        limits.maxIdLength,
        'Default: a random UUID. Give one to make a retry harmless; an integer is read as its decimal string.',
      ),
    ),
    source: Type.Optional(
      Text(
        limits.maxSourceLength,
        "Your service: one of the sources your API key is bound to. Default: the key's first source.",
      ),
    ),
    time: Type.Optional(
      Type.String({
        pattern: TimePattern,
        description: 'RFC 3339; a time without an offset is read as UTC. Default: now.',
      }),
    ),
    subject: Type.Optional(
      WirePerson('Who or what the event is about: an id, or `{ "id", "name" }`.'),
    ),
    actor: Type.Optional(
      WirePerson('Who did it: an id, or `{ "id": "hr-7", "name": "HR bot" }` (Activity Streams).'),
    ),
  },
  {
    additionalProperties: true,
    description:
      'Keys other than these are extension attributes, stored and served beside the event (`extensions`), when the event has `data` or `specversion`; otherwise they are its data.',
  },
);

type PublishEventBody = Static<typeof PublishEvent>;

const PublishBody = Type.Union([
  PublishEvent,
  Type.Array(PublishEvent, { minItems: 1, maxItems: limits.maxEventsPerMessage }),
]);

/**
 * Events go to the SDK this many at a time, each part confirmed before the next: an array as
 * large as the body limit allows stays within the publisher's buffer (10,000 messages) and
 * leaves room for other requests.
 */
const publishPart = 1000;

/** The wire contract's reading of a body (bodyMode, splitBody) as the SDK's publish input. */
function toPublishInput(event: PublishEventBody): PublishEventInput {
  const { attributes, data, extensions } = splitBody(event, bodyMode(event, undefined));
  const input = { ...attributes, type: event.type, data } as PublishEventInput;
  if (extensions !== undefined) input.extensions = extensions;
  return input;
}

/**
 * POST /events: for services that cannot speak AMQP. Validates the events and publishes them
 * to the feed queue with broker confirms through @feed/publisher; 202 once the broker has
 * them. It never writes the table: the worker stores them like any other message.
 */
export const publishRoutes: FastifyPluginAsyncTypebox<PublishRoutesOptions> = async (
  app,
  { publisher, guards, keyOf, quota },
) => {
  app.post(
    '/events',
    {
      onRequest: guards.publish,
      schema: {
        summary: 'Publish events (for services without AMQP)',
        description:
          'One event or an array of events, up to the body limit of 1 MiB (and at most 100,000 events). Answers 202 after the broker confirmed every event; the worker stores them shortly after. An answer of 503 means the broker did not confirm them all: retry with the same ids, and the feed stores each event once.',
        tags: ['publish'],
        security: [{ apiKey: [] }],
        body: PublishBody,
        response: {
          202: Type.Object({
            accepted: Type.Integer(),
            events: Type.Array(
              Type.Object({ source: Type.String(), id: Type.String(), type: Type.String() }),
            ),
          }),
          ...errorResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const bodies = Array.isArray(request.body) ? request.body : [request.body];
      const inputs = bodies.map(toPublishInput);
      inputs.forEach((event, index) => {
        const problem = validateData(event.type, event.data);
        if (problem !== null)
          throw new ApiError(
            400,
            ApiErrorCode.InvalidEvent,
            `event ${index} (${event.type}): data ${problem}`,
            { param: `/${index}/data` },
          );
      });
      const key = keyOf(request);
      // The guard let the request in with a key; no key here is a bug, not the client's.
      if (key === undefined) throw new Error('POST /events reached without an API key');
      bindToKey(inputs, key);
      if (publisher === undefined)
        throw new ApiError(
          503,
          ApiErrorCode.PublishUnavailable,
          'publishing over HTTP is not available on this instance',
        );
      const over = quota.take(key.id, inputs.length);
      if (over !== undefined) {
        reply.header('retry-after', String(over.retryInS));
        throw new ApiError(
          429,
          ApiErrorCode.KeyQuota,
          `${key.id} may publish ${quota.perMinute} events per minute (SERVICE_API_KEY_EVENTS_PER_MINUTE); ${over.left} are left this minute and this request has ${inputs.length}: retry in ${over.retryInS} s, or send fewer`,
        );
      }
      const published: FeedEvent[] = [];
      try {
        // All or nothing: every event is checked before the first part is sent.
        if (inputs.length > publishPart) buildMessages(inputs, { source: 'feed-service' });
        for (let start = 0; start < inputs.length; start += publishPart)
          published.push(...(await publisher.publish(inputs.slice(start, start + publishPart))));
      } catch (error) {
        quota.giveBack(key.id, inputs.length - published.length);
        if (isFeedError(error) && error.code === 'FEED_PUBLISH_INVALID')
          throw new ApiError(400, ApiErrorCode.InvalidEvent, error.message, { param: 'body' });
        if (isBrokerUnavailable(error))
          throw new ApiError(
            503,
            ApiErrorCode.BrokerUnavailable,
            `the broker did not confirm the events (${error.code}); retry with the same ids`,
            { cause: error },
          );
        throw error;
      }
      request.log.info({ count: published.length }, 'events published');
      return reply.code(202).send({
        accepted: published.length,
        events: published.map(({ source, id, type }) => ({ source, id, type })),
      });
    },
  );
};
