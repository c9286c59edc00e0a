import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';
import {
  eventColumns,
  pageClause,
  toStoredEvent,
  type EventFilter,
  type EventRow,
  type StoredEvent,
} from '../eventRow.js';

export interface ListEventsOptions extends EventFilter {
  limit: number;
  /** Keyset cursor: only events older than this position. */
  before?: Position | undefined;
  /** The visibility horizon to read below (`readVisibility`); by default the current one. */
  horizon?: string | undefined;
}

/** One page of the feed, newest first. No OFFSET: every page costs the same at any depth. */
export async function listEvents(
  client: Queryable,
  options: ListEventsOptions,
): Promise<StoredEvent[]> {
  const params: unknown[] = [];
  const where = pageClause(options, params);
  params.push(options.limit);
  const { rows } = await client.query<EventRow>(
    `select ${eventColumns} from feed_events where ${where} order by feed_events.xid desc, feed_events.seq desc limit $${params.length}`,
    params,
  );
  return rows.map(toStoredEvent);
}
