import type { Queryable } from '../pool.js';

/**
 * The version of one reaction change: higher than every version taken before it, by any
 * replica (one sequence in the feed database, 006_reaction_versions). Not a transaction of
 * its own: a sequence never goes back, and a version taken for a change that was then not
 * published leaves a gap, which orders nothing wrongly.
 */
export async function nextReactionVersion(client: Queryable): Promise<number> {
  const { rows } = await client.query<{ version: string }>(
    `select nextval('feed_reaction_versions')::text as version`,
  );
  return Number(rows[0]!.version);
}
