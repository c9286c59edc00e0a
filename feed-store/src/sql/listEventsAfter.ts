import type { Queryable } from '../pool.js';
import {
  eventColumns,
  filterClause,
  toStoredEvent,
  type EventFilter,
  type EventRow,
  type StoredEvent,
} from '../eventRow.js';

export interface ListEventsAfterOptions extends EventFilter {
  /** Only events stored after this `seq`. */
  after: string;
  limit: number;
}

/**
 * Events stored after a `seq`, oldest first: what a live stream sends after a NOTIFY, and
 * what a client reconnecting with Last-Event-ID missed.
 */
export async function listEventsAfter(
  client: Queryable,
  options: ListEventsAfterOptions,
): Promise<StoredEvent[]> {
  const params: unknown[] = [];
  const where = filterClause(options, params);
  params.push(options.after, options.limit);
  const { rows } = await client.query<EventRow>(
    `select ${eventColumns} from feed_events
      where ${where} and seq > $${params.length - 1}::bigint
      order by seq asc limit $${params.length}`,
    params,
  );
  return rows.map(toStoredEvent);
}
