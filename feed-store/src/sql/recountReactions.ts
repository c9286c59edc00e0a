import type { Queryable } from '../pool.js';
import { personHashSql } from './personHash.js';

/**
 * Sets the counters of the given targets from their active reactions (a target with none is
 * left with `{}`), and records a `reactions` change for each stored event whose counters
 * changed, so every stream and cache learns the new counts in the feed's order. Call it
 * holding the targets' locks (`lockReactionTargets`), in a statement after the reactions' own,
 * so it counts every reaction committed before. Returns how many counters changed.
 */
export async function recountReactions(
  client: Queryable,
  targets: ReadonlyArray<{ source: string; id: string }>,
): Promise<number> {
  if (targets.length === 0) return 0;
  const { rowCount } = await client.query(
    `with recounted as (
       insert into feed_reaction_counts as c (target_source, target_id, counts)
       select t.source, t.id,
              coalesce((select jsonb_object_agg(reaction, n)
                          from (select reaction, count(*) as n
                                  from feed_reactions r
                                 where r.target_source = t.source and r.target_id = t.id
                                   and r.active
                                 group by reaction) counted), '{}'::jsonb)
         from (select distinct source, id from unnest($1::text[], $2::text[]) as u(source, id)) t
       on conflict (target_source, target_id) do update set counts = excluded.counts
        where c.counts is distinct from excluded.counts
       returning target_source, target_id, counts
     )
     insert into feed_changes (kind, target_source, target_id, counts, type, time, actor_hash, subject_hash)
     select 'reactions', r.target_source, r.target_id, r.counts, e.type, e.time,
            ${personHashSql('e.actor')}, ${personHashSql('e.subject')}
       from recounted r
       join feed_events e on e.source = r.target_source and e.event_id = r.target_id
      where e.hidden_at is null`,
    [targets.map((t) => t.source), targets.map((t) => t.id)],
  );
  return rowCount ?? 0;
}
