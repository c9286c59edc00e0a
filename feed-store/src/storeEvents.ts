import {
  isReactionType,
  organisationSnapshotType,
  withTransaction,
  type FeedEvent,
} from '@feed/contracts';
import { isNotifyQueueFull } from './databaseErrors.js';
import type { Pool } from './pool.js';
import { applyReactions } from './sql/applyReactions.js';
import { beginFeedWrite } from './sql/beginFeedWrite.js';
import { insertEvents } from './sql/insertEvents.js';
import { insertOrgSnapshots } from './sql/insertOrgSnapshots.js';
import { announceFeedChanged } from './sql/notifyFeedChanged.js';

export interface StoreEventsResult {
  /** Events stored as new rows. */
  stored: number;
  /** Events already stored (redelivery, a publisher's retry, a repeat inside the batch). */
  duplicates: number;
  /** Reaction events applied to the counters of their targets. */
  reactions: number;
  /** Organisation snapshots stored (apart from the feed's items: see insertOrgSnapshots). */
  snapshots: number;
}

/**
 * Stores what a batch of messages carries, in one transaction: the events as rows, the
 * reactions as changes to their targets' counters. Either all of it commits or none does, so
 * a message whose events were stored can be acked, and one that was not is redelivered whole.
 * Batches of any number of workers commit concurrently; the listeners are told with the
 * commit (a batch of events only, see insertTelling) or after it (see announceFeedChanged),
 * without the caller waiting for it.
 *
 * A batch of events only (no reaction, no organisation snapshot) is one statement, committed
 * on its own: one round trip, as a hand-written batch insert. It is a feed writer from before
 * its first row (its insert takes ROW EXCLUSIVE on `feed_events` when it is parsed, before the
 * transaction has an id: see beginFeedWrite), so the visibility horizon counts it like any
 * other. It carries its NOTIFY itself (see insertTelling).
 */
export async function storeEvents(
  pool: Pool,
  events: readonly FeedEvent[],
): Promise<StoreEventsResult> {
  const rows: FeedEvent[] = [];
  const reactions: FeedEvent[] = [];
  const snapshots: FeedEvent[] = [];
  for (const event of events) {
    if (isReactionType(event.type)) reactions.push(event);
    else if (event.type === organisationSnapshotType) snapshots.push(event);
    else rows.push(event);
  }
  const result =
    reactions.length === 0 && snapshots.length === 0
      ? await insertTelling(pool, rows).then(({ stored, told }) => ({
          stored,
          duplicates: rows.length - stored,
          reactions: 0,
          seeded: 0,
          changed: told ? 0 : stored,
        }))
      : await withTransaction(pool, async (client) => {
          await beginFeedWrite(client);
          const stored = await insertEvents(client, rows);
          const changed = await applyReactions(client, reactions);
          const seeded = await insertOrgSnapshots(client, snapshots);
          return {
            stored,
            duplicates: rows.length - stored,
            reactions: reactions.length,
            seeded,
            changed: stored + changed + seeded,
          };
        });
  // Committed: a notify lost costs the listeners' next look (within a second), no data.
  if (result.changed > 0) announceFeedChanged(pool);
  return {
    stored: result.stored,
    duplicates: result.duplicates,
    reactions: result.reactions,
    snapshots: result.seeded,
  };
}

/**
 * An autocommitted insert that tells the listeners in the same statement: the NOTIFY leaves
 * with the commit, with no round trip after it through another connection and backend, which
 * on a busy machine adds to the readers' tail ("Notify with the insert", bench/README.md). The
 * price: PostgreSQL serializes the commits of notifying transactions (its notify lock, held
 * from the commit's start to its end), which for one statement is its commit alone.
 *
 * A NOTIFY queue that is full (a listener that stopped reading for a long time: 8 GB of
 * notifications) fails the statement with SQLSTATE 54000, a class that otherwise refuses rows
 * for their data: the batch is then stored without it, and told after its commit (a notify
 * that fails then is dropped, and the listeners find the rows at their next look).
 */
async function insertTelling(
  pool: Pool,
  rows: readonly FeedEvent[],
): Promise<{ stored: number; told: boolean }> {
  try {
    return { stored: await insertEvents(pool, rows, { notify: true }), told: true };
  } catch (error) {
    if (!isNotifyQueueFull(error)) throw error;
    return { stored: await insertEvents(pool, rows), told: false };
  }
}

/**
 * Whether this database takes the feed's writes at all: an insert into `feed_events`, rolled
 * back. Rejects with the database's error when it does not (the table is missing, the role
 * lost its INSERT grant, the database is read-only or down): then a failing batch is the
 * database's fault, not its messages'.
 */
export async function probeWrite(pool: Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    await client.query(
      `insert into feed_events (source, event_id, type, time)
       values ('feed-probe', 'probe', 'feed.probe', now())
       on conflict (source, event_id) do nothing`,
    );
  } finally {
    await client.query('rollback').catch((error: Error) => (broken = error));
    client.release(broken);
  }
}
