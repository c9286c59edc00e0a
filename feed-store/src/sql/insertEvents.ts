import type { FeedEvent } from '@feed/contracts';
import type { Queryable } from '../pool.js';
import { FEED_EVENTS_CHANNEL } from '../notifyChannel.js';

/** Held from the insert to the commit: `seq` order is then commit order (see 001_events). */
export const INSERT_ORDER_LOCK = 7_201_002;

export interface InsertedEvent {
  seq: string;
  source: string;
  id: string;
}

/**
 * Stores a batch of events with one statement. Events already stored (same `source` and `id`)
 * and repeats inside the batch are skipped; the result lists only the rows that are new, in
 * batch order. Call it inside a transaction: the order lock and the NOTIFY take effect at
 * commit.
 */
export async function insertEvents(
  client: Queryable,
  events: readonly FeedEvent[],
): Promise<InsertedEvent[]> {
  if (events.length === 0) return [];
  await client.query('select pg_advisory_xact_lock($1)', [INSERT_ORDER_LOCK]);
  const { rows } = await client.query<InsertedEvent>(
    `insert into feed_events (source, event_id, type, time, subject, actor, data)
     select source, event_id, type, time, subject, actor, data
       from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
                   $6::text[], $7::jsonb[]) with ordinality
            as input(source, event_id, type, time, subject, actor, data, ord)
      order by ord
     on conflict (source, event_id) do nothing
     returning seq, source, event_id as id`,
    [
      events.map((e) => e.source),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.time),
      events.map((e) => e.subject ?? null),
      events.map((e) => e.actor ?? null),
      events.map((e) => JSON.stringify(e.data ?? null)),
    ],
  );
  if (rows.length > 0) {
    await client.query('select pg_notify($1, $2)', [FEED_EVENTS_CHANNEL, rows.at(-1)!.seq]);
  }
  return rows;
}
