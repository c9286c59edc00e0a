import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';
import {
  eventColumns,
  filterClause,
  toStoredEvent,
  visibleClause,
  type EventFilter,
  type EventRow,
  type StoredEvent,
} from '../eventRow.js';

export interface ListEventsAfterOptions extends EventFilter {
  /** Only events after this position. */
  after: Position;
  limit: number;
  /** The visibility horizon to read below (`readVisibility`); by default the current one. */
  horizon?: string | undefined;
}

/**
 * Events after a position, oldest first: what a live stream sends after a NOTIFY, and what a
 * client reconnecting with Last-Event-ID missed. Below the horizon nothing can still appear,
 * so reading on from the last position returned never skips an event or shows one twice.
 */
export async function listEventsAfter(
  client: Queryable,
  options: ListEventsAfterOptions,
): Promise<StoredEvent[]> {
  const params: unknown[] = [];
  const where = `${filterClause(options, params)} and ${visibleClause(options.horizon, params)}`;
  params.push(options.after.xid, options.after.seq, options.limit);
  const n = params.length;
  const { rows } = await client.query<EventRow>(
    `select ${eventColumns} from feed_events
      where ${where} and (xid, seq) > ($${n - 2}::xid8, $${n - 1}::bigint)
      order by feed_events.xid, feed_events.seq limit $${n}`,
    params,
  );
  return rows.map(toStoredEvent);
}
