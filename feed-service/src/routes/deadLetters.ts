import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FeedErrorCode, isFeedError } from '@feed/contracts';
import { readSelection, type DeadLetters } from '@feed/dead';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { Guards } from '../plugins/auth.js';
import { errorResponses, noNulPattern } from '../schemas.js';

export interface DeadLetterRoutesOptions {
  deadLetters: DeadLetters;
  guards: Guards;
}

const security = [{ adminToken: [] }];
const tags = ['admin'];

const Value = (description: string) =>
  Type.String({ minLength: 1, maxLength: 300, pattern: noNulPattern, description });

const ParkedMessage = Type.Object({
  id: Type.String({
    description: 'The park id (`x-feed-park-id`): what show, replay and purge take.',
  }),
  code: Type.String({ description: '`x-feed-error-code`, or `broker:<reason>` from `x-death`.' }),
  reason: Type.String(),
  parkedAt: Type.Optional(Type.String({ description: 'When the worker parked it.' })),
  sources: Type.Array(Type.String(), { description: '`app_id` and the sources its events name.' }),
  properties: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The original AMQP properties, without the headers.',
  }),
  headers: Type.Record(Type.String(), Type.Unknown(), { description: 'The original headers.' }),
  parkHeaders: Type.Record(Type.String(), Type.Unknown(), {
    description: 'What parking and the broker added (`x-feed-*`, `x-death`, `x-delivery-count`).',
  }),
  bodyBytes: Type.Integer(),
  bodyPreview: Type.String({ description: 'The first 1024 bytes.' }),
  bodyEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
});

const SelectionBody = Type.Object(
  {
    id: Type.Optional(Value('One parked message.')),
    code: Type.Optional(Value('Every message parked with this code.')),
    source: Type.Optional(Value('Every message of this source.')),
    all: Type.Optional(Type.Literal(true, { description: 'Every parked message.' })),
  },
  { additionalProperties: false, description: 'Exactly one of id, code, source, all.' },
);

const OperationResult = Type.Object({
  done: Type.Integer({ description: 'Messages replayed, or purged.' }),
  kept: Type.Integer({ description: 'Messages left parked.' }),
  duplicates: Type.Integer({
    description: 'Second copies of a parked message (left by an operation cut short), removed.',
  }),
});

/**
 * A dead-letter error as the API's: busy 409, none such 404, the broker away 503; `context`
 * says what was done already.
 */
export function deadLetterApiError(error: unknown, context?: string): unknown {
  if (!isFeedError(error)) return error;
  const message = context === undefined ? error.message : `${context}: ${error.message}`;
  switch (error.code) {
    case FeedErrorCode.DeadBusy:
      return new ApiError(409, ApiErrorCode.DeadBusy, message, { cause: error });
    case FeedErrorCode.DeadNotFound:
      return new ApiError(404, ApiErrorCode.NotFound, message, { param: 'id', cause: error });
    case FeedErrorCode.DeadSelection:
      return new ApiError(400, ApiErrorCode.BadBody, message, { cause: error });
    case FeedErrorCode.BrokerUnavailable:
      return new ApiError(503, ApiErrorCode.BrokerUnavailable, message, { cause: error });
    default:
      return error;
  }
}

async function answer<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw deadLetterApiError(error);
  }
}

/**
 * The dead-letter operations of @feed/dead over HTTP, behind the admin token. Each one reads
 * all of feed.dead once (see feed-dead/README.md); replays and purges are logged at warn.
 */
export const deadLetterRoutes: FastifyPluginAsyncTypebox<DeadLetterRoutesOptions> = async (
  app,
  { deadLetters, guards },
) => {
  app.get(
    '/admin/dead',
    {
      onRequest: guards.admin,
      schema: {
        summary: 'List parked messages',
        description:
          'Counts by code of every parked message (or those of one code or source), and the first `limit` of them, oldest first.',
        tags,
        security,
        querystring: Type.Object(
          {
            code: Type.Optional(Value('Only messages parked with this code.')),
            source: Type.Optional(Value('Only messages of this source.')),
            limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            byCode: Type.Record(Type.String(), Type.Integer()),
            messages: Type.Array(ParkedMessage),
            duplicates: Type.Integer(),
          }),
          ...errorResponses(400, 401, 403, 409, 503),
        },
      },
    },
    async (request) => {
      const { code, source, limit } = request.query;
      const filtered = code !== undefined || source !== undefined;
      return answer(() =>
        deadLetters.list({
          ...(filtered ? { selection: readSelection({ code, source }) } : {}),
          limit: limit ?? 100,
        }),
      );
    },
  );

  app.get(
    '/admin/dead/:id',
    {
      onRequest: guards.admin,
      schema: {
        summary: 'Show one parked message',
        description:
          'Its reason, code, original properties and headers, and the start of its body.',
        tags,
        security,
        params: Type.Object({ id: Value('The park id, from the list.') }),
        response: { 200: ParkedMessage, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => answer(() => deadLetters.show(request.params.id)),
  );

  const operation = (verb: 'replay' | 'purge', summary: string, description: string) =>
    app.post(
      `/admin/dead/${verb}`,
      {
        onRequest: guards.admin,
        config: { bodyErrorCode: ApiErrorCode.BadBody },
        schema: {
          summary,
          description,
          tags,
          security,
          body: SelectionBody,
          response: {
            200: OperationResult,
            ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
          },
        },
      },
      async (request) => {
        const result = await answer(() => {
          const selection = readSelection(request.body);
          return verb === 'replay' ? deadLetters.replay(selection) : deadLetters.purge(selection);
        });
        request.log.warn(
          { admin: `dead-${verb}`, selection: request.body, ...result },
          `parked messages ${verb === 'replay' ? 'replayed' : 'purged'}`,
        );
        return result;
      },
    );

  operation(
    'replay',
    'Replay parked messages',
    'Publishes the selected messages to `feed.events` with their original properties; each leaves `feed.dead` only once the broker confirmed its replay.',
  );
  operation('purge', 'Purge parked messages', 'Deletes the selected parked messages for good.');
};
