import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { LimitFunction } from 'p-limit';
import { Type } from '@sinclair/typebox';
import {
  comparePositions,
  itemPosition,
  listFeedAfter,
  type FeedItem,
  type Position,
} from '@feed/store';
import { ApiErrorCode } from '../apiErrors.js';
import { cursorPosition, itemMatchesFilter, toEventFilter } from '../eventQuery.js';
import type { LiveFeed } from '../liveFeed.js';
import type { Guards } from '../plugins/auth.js';
import type { ServiceMetrics } from '../plugins/metrics.js';
import type { ReadRouter } from '../readRouter.js';
import { StreamHeaders, StreamQuery, errorResponses } from '../schemas.js';
import { closeFrame, itemFrame, retryFrame } from '../sseFrame.js';
import { groupedItemFrame } from '../groupedFrame.js';
import type { StreamAdmission } from '../streamAdmission.js';
import { StreamSession } from '../streamSession.js';

export interface StreamRoutesOptions {
  /** Where catch-up reads go: the primary, or a read replica that caught up. */
  readRouter: ReadRouter;
  liveFeed: LiveFeed;
  guards: Guards;
  metrics: ServiceMetrics;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** The caps on open streams, per client and in total. */
  admission: StreamAdmission;
  /** The client a stream counts for: its reader, key or address. */
  clientOf: (request: FastifyRequest) => string;
  /**
   * Catch-up reads running at once, for all streams together (SERVICE_STREAM_CATCHUP_CONCURRENCY):
   * a thousand streams replaying the feed from its start take turns, and leave the rest of
   * the pool to pages.
   */
  catchUps: LimitFunction;
}

/** Rows per catch-up read. */
const catchUpBatch = 500;

/**
 * GET /events/stream: Server-Sent Events. A client resuming with Last-Event-ID (or `after`)
 * first gets what it missed, read from the database, then the live tail. Both read below the
 * visibility horizon, where nothing can still appear, so "after the last position sent" has
 * no gap and no duplicate.
 */
export const streamRoutes: FastifyPluginAsyncTypebox<StreamRoutesOptions> = async (
  app,
  options,
) => {
  const { readRouter, liveFeed, guards, metrics, admission, catchUps } = options;
  const sessions = new Set<StreamSession>();
  // Frames are built once per item for all clients.
  const frames = new WeakMap<FeedItem, string>();
  const groupedFrames = new WeakMap<FeedItem, string>();
  const frameOf = (item: FeedItem, grouped: boolean) => {
    const cache = grouped ? groupedFrames : frames;
    let frame = cache.get(item);
    if (frame === undefined) {
      frame = grouped ? groupedItemFrame(item) : itemFrame(item);
      cache.set(item, frame);
    }
    return frame;
  };

  app.addHook('preClose', async () => {
    for (const session of sessions)
      session.end(
        'shutdown',
        closeFrame(ApiErrorCode.StreamShutdown, 'the service is restarting; reconnect'),
      );
  });

  app.get(
    '/events/stream',
    {
      // A HEAD would open a stream that never ends and carries nothing.
      exposeHeadRoute: false,
      onRequest: guards.read,
      schema: {
        summary: 'Live stream of new events (Server-Sent Events)',
        description:
          "Each new event is one SSE message whose `id` is the event's cursor and whose `data` is the list item JSON. A change to an event is a named SSE event in the same order: `event: reactions` with `{id, source, reactions}` (its counters now) or `event: removed` with `{id, source}` (hidden or erased: drop it); filters apply to changes as to events. Reconnect with `Last-Event-ID` (EventSource does it for you) to get exactly what you missed, events and changes, then the live tail. Comment lines every few seconds keep proxies from closing an idle stream. A client that falls too far behind gets an `event: close` with code `FEED_API_STREAM_SLOW_CLIENT` and is disconnected.",
        tags: ['feed'],
        querystring: StreamQuery,
        headers: StreamHeaders,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 414, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { after, group, ...filterQuery } = request.query;
      const filter = toEventFilter(filterQuery);
      const lastEventId = request.headers['last-event-id'];
      const from =
        lastEventId !== undefined && lastEventId !== ''
          ? cursorPosition('Last-Event-ID', lastEventId)
          : after !== undefined
            ? cursorPosition('after', after)
            : undefined;

      let release: () => void;
      try {
        release = admission.admit(options.clientOf(request));
      } catch (error) {
        metrics.streamRefusals.inc();
        throw error;
      }

      // Headers set by earlier hooks (security, CORS) go out with the stream's own.
      const headers: OutgoingHttpHeaders = {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // When the service ends a stream, the socket goes with it (no idle keep-alive).
        connection: 'close',
        // nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      };
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, headers);
      response.write(retryFrame);
      // Headers and first bytes now, not with the first event.
      response.flushHeaders();

      metrics.openStreams.inc();
      let unsubscribe = () => {};
      const session = new StreamSession(response, {
        maxBufferedBytes: options.maxBufferedBytes,
        heartbeatMs: options.heartbeatMs,
        onEnd: (reason) => {
          release();
          unsubscribe();
          sessions.delete(session);
          metrics.openStreams.dec();
          if (reason === 'slow_client' || reason === 'shutdown') {
            metrics.streamDisconnects.inc({ reason });
            request.log.info({ reason }, 'stream ended by the service');
          }
        },
      });
      sessions.add(session);

      // Everything up to `position` was sent (or is not selected by the filter).
      let position: Position = from ?? liveFeed.lastPosition;
      let live = from === undefined;
      // Set by the live subscription while catching up: read the database once more.
      const announced = { during: false };
      const send = (item: FeedItem) => {
        const at = itemPosition(item);
        position = { xid: at.xid, seq: at.seq };
        metrics.streamEvents.inc();
        return session.write(frameOf(item, group !== undefined));
      };
      unsubscribe = liveFeed.subscribe((items) => {
        if (!live) {
          announced.during = true;
          return;
        }
        for (const item of items)
          if (
            comparePositions(itemPosition(item), position) > 0 &&
            itemMatchesFilter(filter, item) &&
            !send(item)
          )
            return;
      });

      try {
        // Catch up from the database until a read comes back short with nothing new
        // announced meanwhile; then the live tail continues exactly from `position`.
        while (!live && !session.closed) {
          announced.during = false;
          const items = await catchUps(async () => {
            if (session.closed) return [];
            const { client, horizon } = await readRouter.reader();
            const read = await listFeedAfter(client, {
              ...filter,
              after: position,
              limit: catchUpBatch,
              horizon,
            });
            metrics.streamCatchUpReads.inc();
            return read;
          });
          for (const item of items) if (!send(item)) break;
          await session.drained();
          if (items.length < catchUpBatch && !announced.during) live = true;
        }
      } catch (error) {
        request.log.warn({ err: error }, 'stream catch-up failed');
        session.end(
          'shutdown',
          closeFrame(
            ApiErrorCode.DatabaseUnavailable,
            'the feed database is unavailable; reconnect',
          ),
        );
      }
    },
  );
};
