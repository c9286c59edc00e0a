import { eventJsonSql, readPageRows, type PageRow } from '../eventJson.js';
import type { Queryable } from '../pool.js';

/** A row of listRowsJson: the item, and the event's key (what a change names). */
export interface KeyedPageRow extends PageRow {
  source: string;
  id: string;
}

/**
 * Reads the rows of some positions given newest first, as listRowsJson does (or from what a
 * reader keeps), in that order.
 */
export type LoadRows = (
  client: Queryable,
  seqs: readonly (number | string)[],
) => Promise<PageRow[]>;

/**
 * The items of the events at some positions that are still shown, newest first (by `seq`,
 * which alone is unique): the rows of a page whose positions are known already.
 */
export async function listRowsJson(
  client: Queryable,
  seqs: readonly (number | string)[],
): Promise<KeyedPageRow[]> {
  return readPageRows<KeyedPageRow>(
    client,
    'feed-rows',
    `select xid::text as xid, seq::text as seq, source, event_id as id, ${eventJsonSql}::text as item
       from feed_events where seq = any($1::bigint[]) and hidden_at is null
      order by feed_events.xid desc, feed_events.seq desc`,
    [seqs],
  );
}
