import type { FeedEvent } from '@feed/contracts';
import { FEED_EVENTS_CHANNEL } from '../notifyChannel.js';
import type { Queryable } from '../pool.js';

export interface InsertEventsOptions {
  /**
   * Tell the listeners in the same statement, when a row is new: for an autocommitted insert,
   * the NOTIFY goes out with its commit (see storeEvents). Inside a longer transaction, leave
   * it out: a notifying transaction holds PostgreSQL's notify lock from its commit's start to
   * its end, and a transaction that writes more after the insert would hold it longer.
   */
  notify?: boolean;
}

/**
 * Stores a batch of events. Events already stored (same `source` and `id`) and repeats inside
 * the batch are skipped; returns how many rows are new (new rows take their positions in batch
 * order). Call it
 * inside a transaction begun with `beginFeedWrite`, or on its own (autocommitted: one
 * statement, a feed writer from its parse on, see beginFeedWrite); no lock is shared with
 * other writers, and readers see the rows once the visibility horizon passes them (see
 * 003_concurrent_writes).
 */
export async function insertEvents(
  client: Queryable,
  events: readonly FeedEvent[],
  options: InsertEventsOptions = {},
): Promise<number> {
  if (events.length === 0) return 0;
  // The batch travels as one JSON document: serialized natively in one call, instead of seven
  // arrays whose every element the driver escapes in JavaScript.
  // Only the count comes back: the positions of 500 rows, sorted, sent and parsed by the driver
  // for every batch, cost the worker about 4 µs of CPU per event, and it needs only how many
  // were new. Readers get the positions with the rows.
  const { rows } = await client.query<{ stored: number }>(
    `with inserted as (
       insert into feed_events (source, event_id, type, time, subject, actor, data,
                                subject_name, actor_name, extensions)
       select e.source, e.id, e.type, e.time, e.subject, e.actor, coalesce(e.data, 'null'),
              e."subjectName", e."actorName", e.extensions
         from jsonb_array_elements($1::jsonb) with ordinality as batch(event, ord),
              jsonb_to_record(batch.event)
                as e(id text, source text, type text, time timestamptz, subject text,
                     actor text, data jsonb, "subjectName" text, "actorName" text,
                     extensions jsonb)
        order by batch.ord
       on conflict (source, event_id) do nothing
       returning 1
     )
     select count(*)::int as stored${notifyColumn(options)} from inserted`,
    [JSON.stringify(events)],
  );
  return rows[0]!.stored;
}

/** The `pg_notify` of a batch that stored a row: in a CASE, so a batch of repeats tells nobody. */
function notifyColumn(options: InsertEventsOptions): string {
  if (options.notify !== true) return '';
  return `, case when count(*) > 0 then pg_notify('${FEED_EVENTS_CHANNEL}', 'changed') end as told`;
}
