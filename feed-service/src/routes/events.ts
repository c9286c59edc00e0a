import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  encodeCursor,
  getEvent,
  listPageJson,
  type OrganisationReader,
  type Position,
  type ScopePositions,
} from '@feed/store';
import {
  cursorPosition,
  filterSearchParams,
  isEmptyFilter,
  isHeadQuery,
  toEventFilter,
} from '../eventQuery.js';
import { etagOf, serialize, toEventView, type FeedPage } from '../eventView.js';
import type { HeadCache, HeadOptionsOf } from '../headCache.js';
import { readGroupedPage } from '../groupedPage.js';
import { oneEvent } from '../oneEvent.js';
import { isOrgQuery, readOrgPage, resolveOrg } from '../orgPage.js';
import type { ItemCache, KeyedPageJson } from '../itemCache.js';
import type { PageCache } from '../pageCache.js';
import type { Guards } from '../plugins/auth.js';
import type { ServiceMetrics } from '../plugins/metrics.js';
import type { ReaderIdentity } from '../readerIdentity.js';
import { forReader } from '../readerState.js';
import type { ReadRouter } from '../readRouter.js';
import { sendBody, sendPrepared, type SendBodyOptions } from '../sendBody.js';
import {
  EventIdParams,
  EventItem,
  EventKeyQuery,
  EventPage,
  ListQuery,
  errorResponses,
} from '../schemas.js';

export interface EventsRoutesOptions {
  /** Where each read goes: the primary, or a read replica that caught up. */
  readRouter: ReadRouter;
  headCache: HeadCache | undefined;
  pageCache: PageCache | undefined;
  /** The items of events read before, for pages below the head. */
  itemCache: ItemCache | undefined;
  guards: Guards;
  metrics: ServiceMetrics;
  /** The organisation, for `team=` and `department=`, and the positions kept of its scopes. */
  organisations: OrganisationReader;
  scopePositions: ScopePositions;
  /** Who asks: their own reactions are shown on each event (`reacted`). */
  readers: ReaderIdentity;
  /** What every page's answer is sent with (its Cache-Control, the compressions counted). */
  pageOptions: SendBodyOptions;
  /** The options of a head page's answer (headCache.ts), shared with the head's fast path. */
  headOptionsOf: HeadOptionsOf;
}

/**
 * What a handler that is not async returns for a reply sent or on its way: nothing once it is
 * sent (Fastify would send a returned value), a promise of nothing while it is not.
 */
function settled(sent: FastifyReply | Promise<FastifyReply>): Promise<void> | undefined {
  return sent instanceof Promise ? sent.then(() => undefined) : undefined;
}

export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (
  app,
  {
    readRouter,
    headCache,
    pageCache,
    itemCache,
    guards,
    metrics,
    organisations,
    scopePositions,
    readers,
    pageOptions,
    headOptionsOf,
  },
) => {
  /** A page through the page cache, when there is one: kept under `key` until it changes. */
  const cachedPage = async (
    key: unknown[],
    read: () => Promise<FeedPage>,
    before: Position | undefined,
  ): Promise<FeedPage> => {
    if (pageCache === undefined) return read();
    const cached = pageCache.get(JSON.stringify(key), read, before);
    if (cached.hit) metrics.pageHits.inc();
    return cached.page;
  };

  /** Any page of GET /events: filtered, deeper, grouped, a team's, or for a reader. */
  const anyPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    listQuery: Static<typeof ListQuery>,
  ): Promise<FastifyReply> => {
    const { limit = 20, cursor, team, department, group, ...filterQuery } = listQuery;
    const filter = toEventFilter(filterQuery);
    const before = cursor === undefined ? undefined : cursorPosition('cursor', cursor);
    const org = { team, department };
    const query = filterSearchParams(filter);
    if (team !== undefined) query.set('team', team);
    if (department !== undefined) query.set('department', department);
    let page =
      before === undefined && isEmptyFilter(filter) && !isOrgQuery(org) && group === undefined
        ? headCache?.page(limit)
        : undefined;
    if (page !== undefined) metrics.headHits.inc();
    else if (group !== undefined) {
      const resolved = isOrgQuery(org)
        ? await resolveOrg(organisations, readRouter, org, before)
        : undefined;
      const read = () =>
        readGroupedPage(readRouter, { mode: group, filter, before, limit, org: resolved, query });
      // A team's or department's page shows the organisation's current names, which change
      // without a change of its events: those are read each time.
      page =
        resolved !== undefined
          ? await read()
          : await cachedPage([limit, before, filter, group], read, before);
    } else if (isOrgQuery(org))
      page = await readOrgPage({ organisations, scopePositions }, readRouter, {
        org,
        filter,
        before,
        limit,
      });
    else {
      const read = async (): Promise<FeedPage> => {
        const { client, horizon } = await readRouter.reader(before);
        const options = { ...filter, before, limit, horizon };
        const json: KeyedPageJson = await (itemCache?.page(client, options) ??
          listPageJson(client, options));
        const nextCursor = json.next === null ? null : encodeCursor(json.next);
        const body = `{"items":${json.items},"nextCursor":${JSON.stringify(nextCursor)}}`;
        return { body, etag: etagOf(body), nextCursor, events: json.events };
      };
      page = await cachedPage([limit, before, filter], read, before);
    }
    if (page.nextCursor !== null) {
      const next = new URLSearchParams(query);
      if (group !== undefined) next.set('group', group);
      next.set('limit', String(limit));
      next.set('cursor', page.nextCursor);
      reply.header('link', `</events?${next.toString()}>; rel="next"`);
    }
    const mine = await forReader(request, page, 'page', { readers, readRouter });
    return sendBody(request, reply, mine.value, {
      ...pageOptions,
      cacheControl: mine.cacheControl,
    });
  };

  app.get(
    '/events',
    {
      onRequest: guards.read,
      schema: {
        summary: 'The feed, newest first',
        description:
          'Keyset pagination: pass `nextCursor` as `cursor` for the next page (also in the `Link: <…>; rel="next"` header). Every page costs the same at any depth. Send the `ETag` back in `If-None-Match` to get a 304 when nothing changed. `team` or `department` (one of them) gives what happened in that part of the company, as the organisation stood at each event (learnt from the feed\'s own events); an unknown one answers 404 `FEED_API_UNKNOWN_TEAM` / `FEED_API_UNKNOWN_DEPARTMENT`.',
        tags: ['feed'],
        querystring: ListQuery,
        response: { 200: EventPage, ...errorResponses(400, 401, 404, 414, 429, 503) },
      },
    },
    // Not async: the head is answered within the call, without a promise and a turn of the
    // microtask queue per request; any other page returns anyPage's promise.
    (request, reply) => {
      // The head of the feed, the answer most readers ask for, to a request that names no
      // reader: its page, Link, ETag in each coding, compressed bytes and header lines are
      // made once per version, so nothing of it is computed per request.
      if (isHeadQuery(request.query) && !readers.mayName(request)) {
        const limit = request.query.limit ?? 20;
        const head = headCache?.page(limit);
        if (head !== undefined) {
          metrics.headHits.inc();
          return settled(sendPrepared(request, reply, head, headOptionsOf(head, limit)));
        }
      }
      return settled(anyPage(request, reply, request.query));
    },
  );

  app.get(
    '/events/:id',
    {
      onRequest: guards.read,
      schema: {
        summary: 'One event',
        description:
          'Events are identified by `(source, id)`. Without `source`, an id used by several sources answers 409 `FEED_API_AMBIGUOUS_ID`: ask again with `source`.',
        tags: ['feed'],
        params: EventIdParams,
        querystring: EventKeyQuery,
        response: { 200: EventItem, ...errorResponses(400, 401, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { source } = request.query;
      const { client, horizon } = await readRouter.reader();
      const found = await getEvent(client, { id, source, horizon });
      const item = serialize(toEventView(oneEvent(found)));
      const mine = await forReader(request, item, 'item', { readers, readRouter });
      return sendBody(request, reply, mine.value, {
        ...pageOptions,
        cacheControl: mine.cacheControl,
      });
    },
  );
};
