import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { placementOf, type OrganisationReader } from '@feed/store';
import type { Guards } from '../plugins/auth.js';
import type { ReaderIdentity } from '../readerIdentity.js';
import type { ReadRouter } from '../readRouter.js';
import { errorResponses } from '../schemas.js';

export interface OrganisationRoutesOptions {
  readRouter: ReadRouter;
  organisations: OrganisationReader;
  readers: ReaderIdentity;
  guards: Guards;
}

const Unit = Type.Union([
  Type.Object({ id: Type.String(), name: Type.String(), formerNames: Type.Array(Type.String()) }),
  Type.Null(),
]);

/**
 * GET /organisation/me: the team and department of the reader the request names (see the
 * README on reader identity), as the feed's organisation knows them now: the page's "my
 * team" and "my department" shortcuts.
 */
export const organisationRoutes: FastifyPluginAsyncTypebox<OrganisationRoutesOptions> = async (
  app,
  { readRouter, organisations, readers, guards },
) => {
  app.get(
    '/organisation/me',
    {
      onRequest: guards.read,
      schema: {
        summary: "The reader's team and department",
        description:
          'For the reader the request names (a reader token, or the trusted proxy header): their team and its department as the organisation learnt from the feed knows them now; `reader` null when the request names no reader, `team` null when the feed knows no team of theirs.',
        tags: ['feed'],
        response: {
          200: Type.Object({
            reader: Type.Union([Type.String(), Type.Null()]),
            team: Unit,
            department: Unit,
          }),
          ...errorResponses(401, 429, 503),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      const reader = await readers.readerOf(request);
      if (reader === undefined) return { reader: null, team: null, department: null };
      const { client, horizon } = await readRouter.reader();
      const { organisation } = await organisations.read(client, horizon);
      const { team, department } = placementOf(organisation, reader);
      const unit = (u: typeof team) =>
        u === null ? null : { id: u.id, name: u.name, formerNames: u.formerNames };
      return { reader, team: unit(team), department: unit(department) };
    },
  );
};
