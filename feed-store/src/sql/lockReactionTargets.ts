import type { Queryable } from '../pool.js';

/** The advisory lock space of reaction targets (the first key of the two-key form). */
export const REACTION_TARGET_LOCKS = 7_201_003;
/**
 * Targets share this many locks (by hash): a transaction holds at most this many, however
 * many targets it touches, and two reactions to different events rarely wait for each other.
 */
const stripes = 256;

/**
 * Takes the lock of each target's stripe until the commit, in one order (no deadlocks). Only
 * reaction writers take them; inserting events never waits on them.
 */
export async function lockReactionTargets(
  client: Queryable,
  targets: ReadonlyArray<{ source: string; id: string }>,
): Promise<void> {
  await client.query(
    `select pg_advisory_xact_lock($1, stripe)
       from (select distinct abs(hashtext(source || chr(31) || id) % $2) as stripe
               from unnest($3::text[], $4::text[]) as t(source, id)) stripes
      order by stripe`,
    [REACTION_TARGET_LOCKS, stripes, targets.map((t) => t.source), targets.map((t) => t.id)],
  );
}
