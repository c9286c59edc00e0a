import type { Queryable } from '../pool.js';
import { beginFeedWrite } from './beginFeedWrite.js';
import { lockReactionTargets } from './lockReactionTargets.js';
import { recountReactions } from './recountReactions.js';

export interface EraseResult {
  events: number;
  reactions: number;
}

/**
 * Erases everything the feed holds about one person (as actor or subject): their events keep
 * only their `(source, id)` key (no data, extension attributes or display names), hidden, so redeliveries cannot bring them back; their
 * reactions are deleted and the counters they touched recounted. Run inside a transaction.
 */
export async function erasePerson(client: Queryable, person: string): Promise<EraseResult> {
  await beginFeedWrite(client);
  const events = await client.query(
    `update feed_events
        set data = null, extensions = null, subject = null, subject_name = null,
            actor = null, actor_name = null,
            hidden_at = coalesce(hidden_at, now()), erased_at = now()
      where actor = $1 or subject = $1`,
    [person],
  );
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
