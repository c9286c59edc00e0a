import type { Queryable } from '../pool.js';

/**
 * The reactions one person has now on each of the given events, by `source id`: what
 * `GET /events` tells a reader about their own reactions.
 */
export async function listReaderReactions(
  client: Queryable,
  actor: string,
  targets: ReadonlyArray<{ source: string; id: string }>,
): Promise<Map<string, string[]>> {
  const mine = new Map<string, string[]>();
  if (targets.length === 0) return mine;
  const { rows } = await client.query<{ source: string; id: string; kinds: string[] }>(
    `select r.target_source as source, r.target_id as id, array_agg(r.reaction order by r.reaction) as kinds
       from feed_reactions r
       join unnest($2::text[], $3::text[]) as t(source, id)
         on r.target_source = t.source and r.target_id = t.id
      where r.actor = $1 and r.active
      group by r.target_source, r.target_id`,
    [actor, targets.map((t) => t.source), targets.map((t) => t.id)],
  );
  for (const row of rows) mine.set(`${row.source} ${row.id}`, row.kinds);
  return mine;
}
