import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ReactionKindPattern,
  isReactionKind,
  presentation,
  reactionKinds,
  type ReactionData,
} from '@feed/contracts';
import { getEvent, nextReactionVersion, type Pool } from '@feed/store';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import { oneEvent } from '../oneEvent.js';
import { isBrokerUnavailable, type EventPublisher } from '../eventPublisher.js';
import type { Guards } from '../plugins/auth.js';
import type { ReaderIdentity } from '../readerIdentity.js';
import { EventIdParams, EventKeyQuery, errorResponses } from '../schemas.js';
import { CacheControl } from '../sendBody.js';

export interface ReactionsRoutesOptions {
  pool: Pool;
  publisher: EventPublisher | undefined;
  readers: ReaderIdentity;
  guards: Guards;
}

/** The `source` of the reaction events the API publishes. */
export const reactionSource = 'feed-service';

const ReactionParams = Type.Object({
  ...EventIdParams.properties,
  kind: Type.String({
    pattern: ReactionKindPattern,
    description: `One of the catalogue's reactions: ${reactionKinds.map((k) => k.kind).join(', ')}.`,
  }),
});

const ReactionState = Type.Object({
  event: Type.Object({ source: Type.String(), id: Type.String() }),
  kind: Type.String(),
  reader: Type.String({ description: 'Who reacted: the reader the request named.' }),
  reacted: Type.Boolean({
    description: 'The state asked for: true after PUT, false after DELETE.',
  }),
  version: Type.Integer({
    description: "Orders this change among the reader's changes of this kind to this event.",
  }),
  change: Type.Object(
    { source: Type.String(), id: Type.String() },
    { description: 'The reaction.added / reaction.removed event published for it.' },
  ),
});

/**
 * PUT and DELETE /events/{id}/reactions/{kind}: the reader reacts, or takes it back. The
 * service never writes the counters itself: it publishes a `reaction.added` /
 * `reaction.removed` event (a fresh id per change, a version from the feed database's one
 * sequence) through @feed/publisher with broker confirms, and the worker applies it; the new
 * counts reach every reader through the live feed. Asking twice for the same state changes
 * nothing (one row per reader, kind and event).
 */
export const reactionsRoutes: FastifyPluginAsyncTypebox<ReactionsRoutesOptions> = async (
  app,
  { pool, publisher, readers, guards },
) => {
  for (const method of ['PUT', 'DELETE'] as const) {
    const reacted = method === 'PUT';
    app.route({
      method,
      url: '/events/:id/reactions/:kind',
      onRequest: guards.read,
      schema: {
        summary: reacted ? 'React to an event' : 'Take a reaction back',
        description:
          'For the reader the request names: a signed token in `X-Feed-Reader-Token`, or `X-Feed-Reader` from a trusted proxy (see the service README). 202 once the broker confirmed the change; the counts reach every reader through the live stream and the list shortly after. Idempotent: the same state asked twice counts once.',
        tags: ['reactions'],
        params: ReactionParams,
        querystring: EventKeyQuery,
        response: { 202: ReactionState, ...errorResponses(400, 401, 404, 409, 429, 503) },
      },
      handler: async (request, reply) => {
        const reader = await readers.require(request);
        const { id, kind } = request.params;
        if (!isReactionKind(kind))
          throw new ApiError(
            400,
            ApiErrorCode.BadReaction,
            `no reaction "${kind}": one of ${reactionKinds.map((k) => k.kind).join(', ')} (GET /catalogue lists them)`,
            { param: 'kind' },
          );
        // The primary, not a replica: an event just read from the stream must be found.
        const found = await getEvent(pool, { id, source: request.query.source });
        const target = oneEvent(found);
        const shown = Object.hasOwn(presentation, target.type)
          ? presentation[target.type as keyof typeof presentation]
          : undefined;
        if (shown !== undefined && !shown.reactable)
          throw new ApiError(
            409,
            ApiErrorCode.NotReactable,
            `events of type ${target.type} take no reactions (GET /catalogue: reactable false)`,
            { param: 'id' },
          );
        if (publisher === undefined)
          throw new ApiError(
            503,
            ApiErrorCode.PublishUnavailable,
            'reacting is not available on this instance: it has no publisher',
          );
        const version = await nextReactionVersion(pool);
        const data: ReactionData = {
          target: { source: target.source, id: target.id },
          reaction: kind,
          actor: reader,
          version,
        };
        const change = { source: reactionSource, id: randomUUID() };
        try {
          await publisher.publish([
            {
              ...change,
              type: reacted ? 'reaction.added' : 'reaction.removed',
              actor: reader,
              data,
            },
          ]);
        } catch (error) {
          if (isBrokerUnavailable(error))
            throw new ApiError(
              503,
              ApiErrorCode.BrokerUnavailable,
              'the broker did not confirm the reaction; ask again',
              { cause: error },
            );
          throw error;
        }
        reply.header('cache-control', CacheControl.never);
        return reply.code(202).send({ event: data.target, kind, reader, reacted, version, change });
      },
    });
  }
};
