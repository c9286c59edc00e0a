import type { FeedEvent } from '@feed/contracts';
import type { Queryable } from '../pool.js';
import { FEED_EVENTS_CHANNEL } from '../notifyChannel.js';

/**
 * Held from before the insert to the commit: `seq` order is then commit order (see
 * 001_events), and reactions and their targets are never written by two transactions that
 * cannot see each other. Reentrant: a transaction may take it more than once.
 */
export const INSERT_ORDER_LOCK = 7_201_002;

/**
 * Takes the writers' lock. A statement of its own on purpose: in READ COMMITTED a statement
 * sees what was committed before it started, so the statements after this one see every
 * transaction that held the lock before.
 */
export async function lockFeedWrites(client: Queryable): Promise<void> {
  await client.query('select pg_advisory_xact_lock($1)', [INSERT_ORDER_LOCK]);
}

export interface InsertedEvent {
  seq: string;
  source: string;
  id: string;
}

/**
 * Stores a batch of events. Events already stored (same `source` and `id`) and repeats inside
 * the batch are skipped; the result lists only the rows that are new, in batch order. One
 * statement does the insert, counts the reactions that arrived before their event, and
 * queues the NOTIFY (delivered at commit) with the highest new `seq`. Call it inside a
 * transaction.
 */
export async function insertEvents(
  client: Queryable,
  events: readonly FeedEvent[],
): Promise<InsertedEvent[]> {
  if (events.length === 0) return [];
  await lockFeedWrites(client);
  const { rows } = await client.query<InsertedEvent>(
    `with inserted as (
       insert into feed_events (source, event_id, type, time, subject, actor, data, reactions)
       select source, event_id, type, time, subject, actor, data,
              coalesce((select jsonb_object_agg(reaction, n)
                          from (select r.reaction, count(*) as n
                                  from feed_reactions r
                                 where r.target_source = input.source
                                   and r.target_id = input.event_id and r.active
                                 group by r.reaction) early), '{}'::jsonb)
         from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
                     $6::text[], $7::jsonb[]) with ordinality
              as input(source, event_id, type, time, subject, actor, data, ord)
        order by ord
       on conflict (source, event_id) do nothing
       returning seq, source, event_id
     ), notified as (
       select pg_notify($8, max(seq)::text) from inserted having count(*) > 0
     )
     select seq, source, event_id as id
       from inserted left join notified on true
      order by seq`,
    [
      events.map((e) => e.source),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.time),
      events.map((e) => e.subject ?? null),
      events.map((e) => e.actor ?? null),
      events.map((e) => JSON.stringify(e.data ?? null)),
      FEED_EVENTS_CHANNEL,
    ],
  );
  return rows;
}
