import type { FeedEvent, ReactionData } from '@feed/contracts';
import type { Queryable } from '../pool.js';
import { lockReactionTargets } from './lockReactionTargets.js';
import { recountReactions } from './recountReactions.js';

/**
 * Records `reaction.added` / `reaction.removed` events (the caller passes only those:
 * `storeEvents` sorts a batch once) and sets the counters of the events they target. For each
 * person, target and reaction the latest change wins, so a redelivered or late event changes
 * nothing: by `version` when both changes have one (the service assigns them from one
 * sequence, see 006_reaction_versions), else by event time. Returns how many reaction rows
 * changed. Call it inside a transaction begun with `beginFeedWrite`.
 */
export async function applyReactions(
  client: Queryable,
  reactions: readonly FeedEvent[],
): Promise<number> {
  if (reactions.length === 0) return 0;
  const data = reactions.map((e) => e.data as ReactionData);
  // Held to the commit: the recount below (a statement of its own, so it sees every reaction
  // committed before the lock was granted) is never raced by another reaction to the same
  // target.
  await lockReactionTargets(
    client,
    data.map((d) => d.target),
  );
  const { rows } = await client.query<{ target_source: string; target_id: string }>(
    `with input as (
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[],
                            $6::timestamptz[], $7::bigint[]) with ordinality
         as t(target_source, target_id, actor, reaction, active, changed_at, version, ord)
     ), latest as (
       select distinct on (target_source, target_id, actor, reaction) *
         from input
        order by target_source, target_id, actor, reaction,
                 version desc nulls last, changed_at desc, ord desc
     )
     insert into feed_reactions as r
            (target_source, target_id, actor, reaction, active, changed_at, version)
     select target_source, target_id, actor, reaction, active, changed_at, version from latest
     on conflict (target_source, target_id, actor, reaction) do update
        set active = excluded.active, changed_at = excluded.changed_at, version = excluded.version
      where case when r.version is not null and excluded.version is not null
                 then r.version < excluded.version
                 else r.changed_at < excluded.changed_at end
     returning target_source, target_id`,
    [
      data.map((d) => d.target.source),
      data.map((d) => d.target.id),
      data.map((d) => d.actor),
      data.map((d) => d.reaction),
      reactions.map((e) => e.type === 'reaction.added'),
      reactions.map((e) => e.time),
      data.map((d) => d.version ?? null),
    ],
  );
  if (rows.length > 0)
    await recountReactions(
      client,
      rows.map((r) => ({ source: r.target_source, id: r.target_id })),
    );
  return rows.length;
}
