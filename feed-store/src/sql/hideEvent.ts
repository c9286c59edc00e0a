import type { Queryable } from '../pool.js';

/**
 * Hides an event: a tombstone that keeps its `(source, id)`, so a redelivery stays absorbed,
 * while it leaves every list and stream. Returns how many events were hidden.
 */
export async function hideEvent(
  client: Queryable,
  key: { id: string; source: string },
): Promise<number> {
  const { rowCount } = await client.query(
    `update feed_events set hidden_at = now()
      where source = $1 and event_id = $2 and hidden_at is null`,
    [key.source, key.id],
  );
  return rowCount ?? 0;
}
