import type { Pool, Queryable } from '../pool.js';
import { FEED_EVENTS_CHANNEL } from '../notifyChannel.js';

/**
 * Tells every listener (each service replica) that the feed changed, after the commit that
 * changed it, in a transaction of its own. Not inside a writing transaction of several
 * statements: PostgreSQL serializes the commits of every transaction that notifies (a lock
 * for the whole server, held from the commit's start to its end), and one that writes more
 * after its first change would hold it longer. (A batch of events only, one autocommitted
 * statement, carries its notify itself: see storeEvents.) The notify's
 * own commit does not wait for its WAL flush (`synchronous_commit` off for it alone): the
 * listeners hear it at once, and a notify lost to a crash costs delay, never data, since
 * listeners also look again on their own every second.
 */
export async function notifyFeedChanged(client: Queryable): Promise<void> {
  await client.query(`select pg_notify($1, $2), set_config('synchronous_commit', 'off', true)`, [
    FEED_EVENTS_CHANNEL,
    'changed',
  ]);
}

/** Per pool: whether a notify is under way, and whether a commit came after it was sent. */
const announcing = new WeakMap<Pool, { again: boolean }>();

/**
 * `notifyFeedChanged` after a commit, without making the writer wait for it, and at most one
 * at a time per pool: a commit that comes while one is under way makes one more after it, so
 * every commit is followed by a notify sent after it, and a burst of commits by a few notifies
 * rather than one each. A notify that fails is dropped (the listeners' next look finds the
 * rows).
 */
export function announceFeedChanged(pool: Pool): void {
  const state = announcing.get(pool);
  if (state !== undefined) {
    state.again = true;
    return;
  }
  const next = { again: false };
  announcing.set(pool, next);
  void (async () => {
    try {
      do {
        next.again = false;
        await notifyFeedChanged(pool).catch(() => {});
      } while (next.again);
    } finally {
      announcing.delete(pool);
    }
  })();
}
