import type { Queryable } from '../pool.js';
import { personHash } from '../personHash.js';
import { beginFeedWrite } from './beginFeedWrite.js';
import { eraseFromOrgSnapshots } from './eraseFromOrgSnapshots.js';
import { lockReactionTargets } from './lockReactionTargets.js';
import { personHashSql } from './personHash.js';
import { recountReactions } from './recountReactions.js';

export interface EraseResult {
  events: number;
  reactions: number;
}

/**
 * Erases everything the feed holds about one person (as actor or subject): their events keep
 * only their `(source, id)` key (no data, extension attributes or display names), hidden, so
 * redeliveries cannot bring them back, and leave every stream as `removed` changes; their
 * reactions are deleted and the counters they touched recounted (and announced); the changes
 * recorded earlier no longer name them, not even by hash, except the removals just recorded,
 * which let a stream filtered by the person still learn them. Run inside a transaction.
 */
export async function erasePerson(client: Queryable, person: string): Promise<EraseResult> {
  await beginFeedWrite(client);
  const events = await client.query(
    `with targets as (
       select seq, source, event_id, type, time, actor, subject
         from feed_events where actor = $1 or subject = $1
        for update
     ), erased as (
       update feed_events e
          set data = null, extensions = null, subject = null, subject_name = null,
              actor = null, actor_name = null,
              hidden_at = coalesce(hidden_at, now()), erased_at = now()
         from targets t where e.seq = t.seq
       returning e.seq
     )
     insert into feed_changes (kind, target_source, target_id, type, time, actor_hash, subject_hash)
     select 'removed', source, event_id, type, time, ${personHashSql('actor')}, ${personHashSql('subject')}
       from targets where seq in (select seq from erased)`,
    [person],
  );
  await client.query(
    `update feed_changes
        set actor_hash = case when actor_hash = $1 then null else actor_hash end,
            subject_hash = case when subject_hash = $1 then null else subject_hash end
      where kind = 'reactions' and (actor_hash = $1 or subject_hash = $1)`,
    [personHash(person)],
  );
  // Their events above leave the organisation with them; a snapshot that lists them too.
  await eraseFromOrgSnapshots(client, person);
  const targets = await client.query<{ source: string; id: string }>(
    `select distinct target_source as source, target_id as id from feed_reactions where actor = $1`,
    [person],
  );
  await lockReactionTargets(client, targets.rows);
  const reactions = await client.query<{ target_source: string; target_id: string }>(
    `delete from feed_reactions where actor = $1 returning target_source, target_id`,
    [person],
  );
  await recountReactions(
    client,
    reactions.rows.map((r) => ({ source: r.target_source, id: r.target_id })),
  );
  return { events: events.rowCount ?? 0, reactions: reactions.rowCount ?? 0 };
}
