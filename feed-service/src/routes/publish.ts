import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EventTypePattern, limits, validateData } from '@feed/contracts';
// The publisher's errors are checked with the publisher's own isFeedError: the package
// carries its own copy of the contract, whose FeedError is another class.
import { isFeedError } from '@feed/publisher';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { EventPublisher, PublishEventInput } from '../eventPublisher.js';
import type { Guards } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';

export interface PublishRoutesOptions {
  publisher: EventPublisher | undefined;
  guards: Guards;
}

const Text = (max: number, description: string) =>
  Type.String({ minLength: 1, maxLength: max, description });

export const PublishEvent = Type.Object(
  {
    specversion: Type.Optional(Type.Literal('1.0')),
    type: Type.String({
      pattern: EventTypePattern,
      maxLength: limits.maxTypeLength,
      description: 'Event type; catalogue types have a strict `data` schema (see /asyncapi.json).',
    }),
    data: Type.Unknown({ description: 'The event data.' }),
    id: Type.Optional(
      Text(limits.maxIdLength, 'Default: a random UUID. Give one to make a retry harmless.'),
    ),
    source: Type.Optional(Text(limits.maxSourceLength, 'Your service. Default: feed-service.')),
    time: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })),
    subject: Type.Optional(Text(limits.maxSubjectLength, 'Who or what the event is about.')),
    actor: Type.Optional(Text(limits.maxSubjectLength, 'Who did it.')),
  },
  { additionalProperties: false },
);

const PublishBody = Type.Union([
  PublishEvent,
  Type.Array(PublishEvent, { minItems: 1, maxItems: limits.maxEventsPerMessage }),
]);

/** SDK failures that mean "the broker did not take it now": the caller retries later. */
const unavailableCodes = new Set([
  'FEED_PUBLISH_BUFFER_FULL',
  'FEED_PUBLISH_TIMEOUT',
  'FEED_PUBLISH_NACKED',
  'FEED_PUBLISH_UNROUTABLE',
  'FEED_PUBLISH_CLOSED',
  'FEED_ERR_BROKER_UNAVAILABLE',
  'FEED_ERR_TOPOLOGY_MISMATCH',
]);

/**
 * POST /events: for services that cannot speak AMQP. Validates the events and publishes them
 * to the feed queue with broker confirms through @feed/publisher; 202 once the broker has
 * them. It never writes the table: the worker stores them like any other message.
 */
export const publishRoutes: FastifyPluginAsyncTypebox<PublishRoutesOptions> = async (
  app,
  { publisher, guards },
) => {
  app.post(
    '/events',
    {
      onRequest: guards.publish,
      schema: {
        summary: 'Publish events (for services without AMQP)',
        description:
          'One event or an array of at most 1000. Answers 202 after the broker confirmed every event; the worker stores them shortly after. An answer of 503 means the broker did not confirm them: retry with the same ids, and the feed stores each event once.',
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
      const events = Array.isArray(request.body) ? request.body : [request.body];
      events.forEach((event, index) => {
        const problem = validateData(event.type, event.data);
        if (problem !== null)
          throw new ApiError(
            400,
            ApiErrorCode.InvalidEvent,
            `event ${index} (${event.type}): data ${problem}`,
            { param: `/${index}/data` },
          );
      });
      if (publisher === undefined)
        throw new ApiError(
          503,
          ApiErrorCode.PublishUnavailable,
          'publishing over HTTP is not available on this instance',
        );
      const inputs: PublishEventInput[] = events.map(
        ({ specversion: _specversion, ...event }) => event,
      );
      let published;
      try {
        published = await publisher.publish(inputs);
      } catch (error) {
        if (isFeedError(error) && error.code === 'FEED_PUBLISH_INVALID')
          throw new ApiError(400, ApiErrorCode.InvalidEvent, error.message, { param: 'body' });
        if (isFeedError(error) && unavailableCodes.has(error.code))
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
