import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { catalogue, presentation, reactionKinds, type CatalogueType } from '@feed/contracts';
import { etagOf, type SerializedBody } from '../eventView.js';
import { CacheControl, sendBody } from '../sendBody.js';
import type { Guards } from '../plugins/auth.js';
import { errorResponses, inlineSchema } from '../schemas.js';
import type { TypesSeen } from '../typesSeen.js';

/** Most undeclared types one answer lists (the most recently seen first); see the README. */
export const maxSeenListed = 500;

const Time = Type.String({ format: 'date-time' });

const CatalogueBody = Type.Object({
  version: Type.String({
    description: 'Changes whenever a declared type, its schema or its presentation changes.',
  }),
  textRule: Type.String({ description: 'How an event of an undeclared type reads.' }),
  types: Type.Array(
    Type.Object({
      type: Type.String(),
      version: Type.Integer({ minimum: 1, description: 'The version of its `data` schema.' }),
      description: Type.String(),
      template: Type.String({
        description:
          '`{field}`: that field of `data` (`{a.b}` nested); `[…]`: shown only when every field in it has a value. Values are text, never markup.',
      }),
      phrases: Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), {
        description: 'Words for the values of a field, used in its place.',
      }),
      icon: Type.String(),
      category: Type.String(),
      reactable: Type.Boolean(),
      schema: Type.Unknown({ description: 'The JSON Schema of its `data`.' }),
    }),
  ),
  reactions: Type.Array(
    Type.Object({ kind: Type.String(), emoji: Type.String(), label: Type.String() }),
  ),
  seen: Type.Array(
    Type.Object({
      type: Type.String(),
      firstSeen: Time,
      lastSeen: Time,
      events: Type.Integer(),
      sources: Type.Array(
        Type.Object({
          source: Type.String(),
          firstSeen: Time,
          lastSeen: Time,
          events: Type.Integer(),
        }),
      ),
    }),
    {
      description: `Types nobody declared that the feed stored, with when (stored time) and from which sources; at most ${maxSeenListed}, the most recently seen.`,
    },
  ),
  seenOmitted: Type.Integer({ description: 'Undeclared types seen but not listed.' }),
});

const textRule =
  'An event of an undeclared type reads as the first non-empty text of: its `summary` attribute, `data.summary`, `data.title`, `data.text`; with none, "<type> from <source>".';

const declared = Object.entries(catalogue).map(([type, schema]) => {
  const shown = presentation[type as CatalogueType];
  return {
    type,
    version: shown.version,
    description: String(schema.description ?? ''),
    template: shown.template,
    phrases: shown.phrases ?? {},
    icon: shown.icon,
    category: shown.category,
    reactable: shown.reactable,
    schema: inlineSchema(schema),
  };
});
const version = createHash('sha1')
  .update(JSON.stringify([declared, reactionKinds, textRule]))
  .digest('base64url')
  .slice(0, 12);

export interface CatalogueRoutesOptions {
  typesSeen: TypesSeen;
  guards: Guards;
}

/** GET /catalogue: every type the feed knows, declared or only seen. */
export const catalogueRoutes: FastifyPluginAsyncTypebox<CatalogueRoutesOptions> = async (
  app,
  { typesSeen, guards },
) => {
  let last: SerializedBody | undefined;
  app.get(
    '/catalogue',
    {
      onRequest: guards.read,
      schema: {
        summary: 'Every event type the feed knows',
        description:
          'The declared types (their `data` JSON Schema, version, one-line template, icon, category, whether readers may react), the reactions readers choose from, and the types the feed stored that nobody declared ("seen"). Render any event with its type\'s template, or by `textRule` when its type is not declared.',
        tags: ['feed'],
        response: { 200: CatalogueBody, ...errorResponses(401, 429, 503) },
      },
    },
    async (request, reply) => {
      const all = await typesSeen.list();
      const seen = [...all]
        .sort((a, b) => (a.lastSeen > b.lastSeen ? -1 : a.lastSeen < b.lastSeen ? 1 : 0))
        .slice(0, maxSeenListed)
        .sort((a, b) => (a.type < b.type ? -1 : 1));
      const body = JSON.stringify({
        version,
        textRule,
        types: declared,
        reactions: reactionKinds,
        seen,
        seenOmitted: all.length - seen.length,
      });
      // The same catalogue is sent as one body, compressed once per coding.
      if (last?.body !== body) last = { body, etag: etagOf(body) };
      return sendBody(request, reply as FastifyReply, last, {
        cacheControl: CacheControl.revalidate,
      });
    },
  );
};
