import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { mentions, type DeadLetters } from '@feed/dead';
import { erasePerson, getEvent, hideEvent, withTransaction, type Pool } from '@feed/store';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { HeadCache } from '../headCache.js';
import type { LiveFeed } from '../liveFeed.js';
import type { Guards } from '../plugins/auth.js';
import { deadLetterApiError } from './deadLetters.js';
import { EventIdParams, EventKeyQuery, errorResponses, noNulPattern } from '../schemas.js';

export interface AdminRoutesOptions {
  pool: Pool;
  liveFeed: LiveFeed;
  headCache: HeadCache | undefined;
  guards: Guards;
  /** Where an erasure also removes the person's parked messages. */
  deadLetters: DeadLetters;
}

const security = [{ adminToken: [] }];

/**
 * Hide one event (a tombstone) and erase everything about one person. Both are logged at
 * warn with what was done, and announced on the feed channel so every replica's head of
 * the feed drops the events at once.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (
  app,
  { pool, liveFeed, headCache, guards, deadLetters },
) => {
  const announce = async () => {
    try {
      await liveFeed.announceChange();
    } catch (error) {
      // This replica at least; the others refresh on the next insert.
      app.log.warn({ err: error }, 'could not announce the change to other replicas');
      await headCache?.refresh();
    }
  };

  app.delete(
    '/events/:id',
    {
      onRequest: guards.admin,
      schema: {
        summary: 'Hide an event',
        description:
          'A tombstone: the event leaves every list and stream, and its `(source, id)` is kept so a redelivery cannot bring it back. Without `source`, an id used by several sources answers 409.',
        tags: ['admin'],
        security,
        params: EventIdParams,
        querystring: EventKeyQuery,
        response: {
          200: Type.Object({ hidden: Type.Object({ source: Type.String(), id: Type.String() }) }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      let { source } = request.query;
      if (source === undefined) {
        const found = await getEvent(pool, { id });
        if (found.length > 1)
          throw new ApiError(
            409,
            ApiErrorCode.AmbiguousId,
            'several sources use this id; add ?source=',
            {
              param: 'source',
            },
          );
        source = found[0]?.source;
      }
      const hidden = source === undefined ? 0 : await hideEvent(pool, { id, source });
      if (hidden === 0 || source === undefined)
        throw new ApiError(404, ApiErrorCode.NotFound, 'no such visible event', { param: 'id' });
      request.log.warn({ admin: 'hide', source, eventId: id }, 'event hidden');
      await announce();
      return { hidden: { source, id } };
    },
  );

  app.post(
    '/admin/erasures',
    {
      onRequest: guards.admin,
      config: { bodyErrorCode: ApiErrorCode.BadBody },
      schema: {
        summary: 'Erase everything about one person',
        description:
          'For privacy requests: every event whose actor or subject is the person keeps only its `(source, id)`, hidden; their reactions are deleted and the counts they touched recounted; the parked messages that hold the person (as any value of a JSON body, or anywhere in the bytes of a body that does not parse) are removed from `feed.dead`. Idempotent: when the parked messages could not be reached (409, 503), the feed database is already erased and the same request again finishes the work.',
        tags: ['admin'],
        security,
        body: Type.Object(
          {
            person: Type.String({
              minLength: 1,
              maxLength: 200,
              pattern: noNulPattern,
              description: 'The person as `actor` or `subject` (an employee id).',
            }),
            parked: Type.Optional(
              Type.Boolean({
                default: true,
                description: 'Also remove their parked messages from `feed.dead`.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            person: Type.String(),
            events: Type.Integer({ description: 'Events erased.' }),
            reactions: Type.Integer({ description: 'Reactions deleted.' }),
            parked: Type.Integer({ description: 'Parked messages removed from `feed.dead`.' }),
          }),
          ...errorResponses(400, 401, 403, 409, 413, 415, 503),
        },
      },
    },
    async (request) => {
      const { person, parked: withParked = true } = request.body;
      const result = await withTransaction(pool, (client) => erasePerson(client, person));
      await announce();
      let parked = 0;
      if (withParked)
        try {
          // A queue has no delete by id: one confirmed sweep keeps every other message.
          parked = (await deadLetters.remove(mentions(person))).done;
        } catch (error) {
          request.log.warn(
            { admin: 'erase', person, ...result },
            'person erased, not yet their parked messages',
          );
          throw deadLetterApiError(
            error,
            'the feed database is erased, the parked messages not yet: send the same erasure again',
          );
        }
      request.log.warn({ admin: 'erase', person, ...result, parked }, 'person erased');
      return { person, ...result, parked };
    },
  );
};
