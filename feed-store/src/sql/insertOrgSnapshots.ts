import type { FeedEvent } from '@feed/contracts';
import type { Queryable } from '../pool.js';

/**
 * Stores `organisation.snapshot` events: apart from the feed's items (a first import seeds the
 * organisation without a "joined" item per person), at positions of the feed's order. A
 * snapshot already stored (same `source` and `id`) is skipped. Returns how many are new. Call
 * it inside the transaction begun with `beginFeedWrite`, like insertEvents.
 */
export async function insertOrgSnapshots(
  client: Queryable,
  events: readonly FeedEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const { rowCount } = await client.query(
    `insert into feed_org_snapshots (source, event_id, time, data)
     select e.source, e.id, e.time, e.data
       from jsonb_array_elements($1::jsonb) with ordinality as batch(event, ord),
            jsonb_to_record(batch.event) as e(id text, source text, time timestamptz, data jsonb)
      order by batch.ord
     on conflict (source, event_id) do nothing`,
    [JSON.stringify(events)],
  );
  return rowCount ?? 0;
}
