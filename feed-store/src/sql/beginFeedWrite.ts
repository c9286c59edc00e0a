import type { Queryable } from '../pool.js';

/**
 * Marks the transaction as a feed writer, before its first write: ROW EXCLUSIVE on
 * `feed_events` (what an insert takes anyway; writers never wait for each other). The
 * visibility horizon counts only transactions holding it (see 003_concurrent_writes), so it
 * must come before the transaction has an id; a statement of its own, first in the
 * transaction. A transaction of one statement that writes `feed_events` needs none: the
 * statement takes that lock when it is parsed, before it runs and has an id (`storeEvents`
 * of events only, `hideEvent`).
 */
export async function beginFeedWrite(client: Queryable): Promise<void> {
  await client.query('lock table feed_events in row exclusive mode');
}
