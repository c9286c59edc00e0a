import { EventTypePattern } from '@feed/contracts';
import {
  decodeCursor,
  personHash,
  type EventFilter,
  type FeedItem,
  type Position,
  type StoredChange,
  type StoredEvent,
} from '@feed/store';
import { ApiError, ApiErrorCode } from './apiErrors.js';

/** The query of GET /events and GET /events/stream once the route schema has checked it. */
export interface FilterQuery {
  type?: string[] | undefined;
  source?: string | undefined;
  actor?: string | undefined;
  subject?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export const maxTypesPerQuery = 20;
const typePattern = new RegExp(EventTypePattern);

/**
 * Turns the checked query into the store's filter. `type` may repeat (`type=a&type=b`) or
 * list several types (`type=a,b`); both forms mean "any of these".
 */
export function toEventFilter(query: FilterQuery): EventFilter {
  const filter: EventFilter = {};
  if (query.type !== undefined) {
    const types = [...new Set(query.type.flatMap((item) => item.split(',')))];
    if (types.length > maxTypesPerQuery)
      throw new ApiError(
        400,
        ApiErrorCode.BadType,
        `type: at most ${maxTypesPerQuery} types per query`,
        { param: 'type' },
      );
    for (const type of types) {
      if (!typePattern.test(type) || type.length > 120)
        throw new ApiError(
          400,
          ApiErrorCode.BadType,
          `type: "${type.slice(0, 120)}" is not an event type (dot-separated words: letters, digits, _ and -)`,
          { param: 'type' },
        );
    }
    filter.types = types;
  }
  if (query.source !== undefined) filter.source = query.source;
  if (query.actor !== undefined) filter.actor = query.actor;
  if (query.subject !== undefined) filter.subject = query.subject;
  if (query.since !== undefined) filter.since = checkTime('since', query.since);
  if (query.until !== undefined) filter.until = checkTime('until', query.until);
  if (
    filter.since !== undefined &&
    filter.until !== undefined &&
    Date.parse(filter.since) >= Date.parse(filter.until)
  )
    throw new ApiError(400, ApiErrorCode.BadTimeRange, 'since must be earlier than until', {
      param: 'until',
    });
  return filter;
}

function checkTime(param: 'since' | 'until', value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new ApiError(400, ApiErrorCode.BadTime, `${param}: not an RFC 3339 date-time`, {
      param,
    });
  return new Date(time).toISOString();
}

/** True when a filter has no predicate: the request is for the plain feed. */
export function isEmptyFilter(filter: EventFilter): boolean {
  return (
    filter.types === undefined &&
    filter.source === undefined &&
    filter.actor === undefined &&
    filter.subject === undefined &&
    filter.since === undefined &&
    filter.until === undefined
  );
}

/** The position a cursor names, or a 400 naming the parameter it came from. */
export function cursorPosition(param: string, cursor: string): Position {
  const position = decodeCursor(cursor);
  if (position === null)
    throw new ApiError(
      400,
      param === 'Last-Event-ID' ? ApiErrorCode.BadLastEventId : ApiErrorCode.BadCursor,
      `${param}: not a cursor of this feed`,
      { param },
    );
  return position;
}

/**
 * The same predicate as the store's filter, for the live stream: events arrive once for all
 * clients and each client keeps those its filter selects.
 */
export function matchesFilter(filter: EventFilter, event: StoredEvent): boolean {
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.includes(event.type))
    return false;
  if (filter.source !== undefined && event.source !== filter.source) return false;
  if (filter.actor !== undefined && event.actor !== filter.actor) return false;
  if (filter.subject !== undefined && event.subject !== filter.subject) return false;
  const time = Date.parse(event.time);
  if (filter.since !== undefined && time < Date.parse(filter.since)) return false;
  if (filter.until !== undefined && time >= Date.parse(filter.until)) return false;
  return true;
}

/**
 * The same predicate for a change: on the changed event as it was when it changed (its type,
 * source and time; its actor and subject by hash, as the change keeps them).
 */
export function changeMatchesFilter(filter: EventFilter, change: StoredChange): boolean {
  const { match } = change;
  if (filter.types !== undefined && filter.types.length > 0) {
    if (match.type === null || !filter.types.includes(match.type)) return false;
  }
  if (filter.source !== undefined && change.source !== filter.source) return false;
  if (filter.actor !== undefined && match.actorHash !== personHash(filter.actor)) return false;
  if (filter.subject !== undefined && match.subjectHash !== personHash(filter.subject))
    return false;
  const time = match.time === null ? Number.NaN : Date.parse(match.time);
  if (filter.since !== undefined && !(time >= Date.parse(filter.since))) return false;
  if (filter.until !== undefined && !(time < Date.parse(filter.until))) return false;
  return true;
}

/** Whether a stream with this filter gets this item of the feed. */
export function itemMatchesFilter(filter: EventFilter, item: FeedItem): boolean {
  return item.kind === 'event'
    ? matchesFilter(filter, item.event)
    : changeMatchesFilter(filter, item);
}

/** The query string that asks for the same filter again, for `Link` headers. */
export function filterSearchParams(filter: EventFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const type of filter.types ?? []) params.append('type', type);
  if (filter.source !== undefined) params.set('source', filter.source);
  if (filter.actor !== undefined) params.set('actor', filter.actor);
  if (filter.subject !== undefined) params.set('subject', filter.subject);
  if (filter.since !== undefined) params.set('since', filter.since);
  if (filter.until !== undefined) params.set('until', filter.until);
  return params;
}

/** Whether a list query asks for the head of the feed: nothing but a `limit`. */
export function isHeadQuery(query: object): boolean {
  for (const key in query) if (key !== 'limit') return false;
  return true;
}
