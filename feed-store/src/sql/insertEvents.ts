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
  // The batch travels as one JSON document: serialized natively in one call, instead of seven
  // arrays whose every element the driver escapes in JavaScript.
  const { rows } = await client.query<InsertedEvent>(
    `with inserted as (
       insert into feed_events (source, event_id, type, time, subject, actor, data,
                                subject_name, actor_name, extensions, reactions)
       select e.source, e.id, e.type, e.time, e.subject, e.actor, coalesce(e.data, 'null'),
              e."subjectName", e."actorName", e.extensions,
              coalesce((select jsonb_object_agg(reaction, n)
                          from (select r.reaction, count(*) as n
                                  from feed_reactions r
                                 where r.target_source = e.source
                                   and r.target_id = e.id and r.active
                                 group by r.reaction) early), '{}'::jsonb)
         from jsonb_array_elements($1::jsonb) with ordinality as batch(event, ord),
              jsonb_to_record(batch.event)
                as e(id text, source text, type text, time timestamptz, subject text,
                     actor text, data jsonb, "subjectName" text, "actorName" text,
                     extensions jsonb)
        order by batch.ord
       on conflict (source, event_id) do nothing
       returning seq, source, event_id
     ), notified as (
       select pg_notify($2, max(seq)::text) from inserted having count(*) > 0
     )
     select seq, source, event_id as id
       from inserted left join notified on true
      order by seq`,
    [JSON.stringify(events), FEED_EVENTS_CHANNEL],
  );
  return rows;
}
