import type { Queryable } from '../pool.js';
import { personHashSql } from './personHash.js';

/**
 * Hides an event: a tombstone that keeps its `(source, id)`, so a redelivery stays absorbed,
 * while it leaves every list. The same statement records the removal as a change, so every
 * stream and cache learns it in the feed's order. Returns how many events were hidden. One
 * statement: its first act is the write on `feed_events` (see beginFeedWrite).
 */
export async function hideEvent(
  client: Queryable,
  key: { id: string; source: string },
): Promise<number> {
  const { rowCount } = await client.query(
    `with hidden as (
       update feed_events set hidden_at = now()
        where source = $1 and event_id = $2 and hidden_at is null
       returning source, event_id, type, time, actor, subject
     )
     insert into feed_changes (kind, target_source, target_id, type, time, actor_hash, subject_hash)
     select 'removed', source, event_id, type, time, ${personHashSql('actor')}, ${personHashSql('subject')}
       from hidden`,
    [key.source, key.id],
  );
  return rowCount ?? 0;
}
