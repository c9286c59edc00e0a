import type { Queryable } from '../pool.js';

/**
 * Sets the reaction counters of the given events from their active reactions. Events with no
 * counters and no reaction rows (every newly stored event without early reactions) are not
 * rewritten, so calling it for each stored batch is cheap.
 */
export async function recountReactions(
  client: Queryable,
  targets: ReadonlyArray<{ source: string; id: string }>,
): Promise<void> {
  if (targets.length === 0) return;
  await client.query(
    `update feed_events e
        set reactions = coalesce((
              select jsonb_object_agg(reaction, n)
                from (select reaction, count(*) as n
                        from feed_reactions r
                       where r.target_source = e.source and r.target_id = e.event_id and r.active
                       group by reaction) counts), '{}'::jsonb)
       from unnest($1::text[], $2::text[]) as t(source, id)
      where e.source = t.source and e.event_id = t.id
        and (e.reactions <> '{}'::jsonb
             or exists (select 1 from feed_reactions r
                         where r.target_source = e.source and r.target_id = e.event_id))`,
    [targets.map((t) => t.source), targets.map((t) => t.id)],
  );
}
