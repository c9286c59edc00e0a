import type { Queryable } from '../pool.js';
import { FEED_EVENTS_CHANNEL } from '../notifyChannel.js';

/**
 * Tells every listener (each service replica) that the feed changed, after the commit that
 * changed it, in a statement of its own. Not inside the writing transaction: PostgreSQL
 * serializes the commits of every transaction that notifies (a lock for the whole server,
 * held through the commit), which would make writers wait for each other again. A notify
 * lost to a crash right after the commit costs delay, never data: listeners also look again
 * on their own every second.
 */
export async function notifyFeedChanged(client: Queryable): Promise<void> {
  await client.query('select pg_notify($1, $2)', [FEED_EVENTS_CHANNEL, 'changed']);
}
