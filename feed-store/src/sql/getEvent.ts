import type { Queryable } from '../pool.js';
import {
  eventColumns,
  toStoredEvent,
  visibleClause,
  type EventRow,
  type StoredEvent,
} from '../eventRow.js';

/**
 * The visible events with this id; `source` narrows it to the one event it names. Without a
 * source an id may match events of several publishers, so the caller gets them all.
 */
export async function getEvent(
  client: Queryable,
  key: { id: string; source?: string | undefined; horizon?: string | undefined },
): Promise<StoredEvent[]> {
  const params: unknown[] = [key.id, key.source ?? null];
  const visible = visibleClause(key.horizon, params);
  const { rows } = await client.query<EventRow>(
    `select ${eventColumns} from feed_events
      where event_id = $1 and ($2::text is null or source = $2) and hidden_at is null
        and ${visible}
      order by feed_events.xid desc, feed_events.seq desc limit 10`,
    params,
  );
  return rows.map(toStoredEvent);
}
