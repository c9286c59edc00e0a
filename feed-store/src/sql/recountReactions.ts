import type { Queryable } from '../pool.js';

/**
 * Sets the counters of the given targets from their active reactions (a target with none is
 * left with `{}`). Call it holding the targets' locks (`lockReactionTargets`), in a statement
 * after the reactions' own, so it counts every reaction committed before.
 */
export async function recountReactions(
  client: Queryable,
  targets: ReadonlyArray<{ source: string; id: string }>,
): Promise<void> {
  if (targets.length === 0) return;
  await client.query(
    `insert into feed_reaction_counts as c (target_source, target_id, counts)
     select t.source, t.id,
            coalesce((select jsonb_object_agg(reaction, n)
                        from (select reaction, count(*) as n
                                from feed_reactions r
                               where r.target_source = t.source and r.target_id = t.id
                                 and r.active
                               group by reaction) counted), '{}'::jsonb)
       from (select distinct source, id from unnest($1::text[], $2::text[]) as u(source, id)) t
     on conflict (target_source, target_id) do update set counts = excluded.counts
      where c.counts is distinct from excluded.counts`,
    [targets.map((t) => t.source), targets.map((t) => t.id)],
  );
}
