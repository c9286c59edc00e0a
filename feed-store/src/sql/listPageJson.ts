import { isOneKeyFilter, isUnfiltered, pageClause } from '../eventRow.js';
import {
  eventJsonSql,
  pageColumnsSql,
  readPageJson,
  readPageRows,
  type PageColumns,
  type PageJson,
} from '../eventJson.js';
import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';
import type { ListEventsOptions } from './listEvents.js';

export type { PageJson };

/**
 * One page of the feed, newest first, each item serialized to JSON by PostgreSQL: the same
 * keyset read as listEvents (no OFFSET, an index range scan at any depth), but the rows never
 * become JavaScript objects (no timestamp or jsonb parsing, no re-serialization): the page
 * body is the items joined. This is how the API serves every page it does not hold in memory.
 * The items have the fields and formats of the API's event view (time as toISOString, the
 * cursor as encodeCursor, computed by cursorSql); the store's tests compare them with
 * listEvents. Each query shape is a named prepared statement: planned once per connection.
 */
export async function listPageJson(
  client: Queryable,
  options: ListEventsOptions,
): Promise<PageJson> {
  const { text, params } = pageQuery(options);
  return readPageJson(client, 'feed-page', text, params, options.limit);
}

/**
 * The rows an unfiltered page's inner query is written to hold: the power of two at or above
 * the rows asked for (the limit itself is a parameter of the outer query, see pageQuery).
 */
function rowsBound(rows: number): number {
  let bound = 8;
  while (bound < rows) bound *= 2;
  return bound;
}

/**
 * The query of listPageJson (`limit + 1` rows), with more columns when asked.
 *
 * An unfiltered page, or one filtered on one value of one indexed column (isOneKeyFilter:
 * its index in the feed's order is the best plan for any value), is read through an inner
 * query with a literal LIMIT of rowsBound rows under the outer LIMIT parameter: every value
 * then has the same best plan (the index, backward from the cursor), and PostgreSQL keeps
 * the prepared statement's generic plan instead of planning each page again (0.14 of the
 * page's 0.44 ms, bench/README.md). It costs the generic plan as 10% of the inner query's
 * rows (the outer LIMIT unknown), so that is under a custom plan's cost while the inner
 * LIMIT is under ten times the rows read (a power of two is under twice); the outer LIMIT
 * stops the scan, so no row past the page is read. Other filters stay planned for their
 * values (a type and a source together: the rarer one's index is the better).
 */
export function pageQuery(
  options: ListEventsOptions,
  columns: PageColumns = [],
): { text: string; params: unknown[] } {
  return pageOf(options, [['item', `${eventJsonSql}::text`], ...columns]);
}

/**
 * The positions of a page (`limit + 1`), newest first, without its items: what a reader that
 * holds the items already (the service's ItemCache) reads. The same plans as listPageJson's,
 * by the same indexes, and an index-only scan where the filter allows.
 */
export async function listPagePositions(
  client: Queryable,
  options: ListEventsOptions,
): Promise<Position[]> {
  const { text, params } = pageOf(options, []);
  return readPageRows<Position>(client, 'feed-positions', text, params);
}

function pageOf(
  options: ListEventsOptions,
  columns: PageColumns,
): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = pageClause(options, params);
  params.push(options.limit);
  const limit = `$${params.length}::int + 1`;
  const selected = `xid::text as xid, seq::text as seq${pageColumnsSql(columns)}`;
  const newest = 'order by feed_events.xid desc, feed_events.seq desc';
  if (!isUnfiltered(options) && !isOneKeyFilter(options)) {
    const text = `
    select ${selected}
      from feed_events where ${where}
     ${newest} limit ${limit}`;
    return { text, params };
  }
  const text = `
    select xid, seq${columns.map(([name]) => `, "${name}"`).join('')} from (
      select feed_events.xid as at_xid, feed_events.seq as at_seq, ${selected}
        from feed_events where ${where}
       ${newest} limit ${rowsBound(options.limit + 1)}) page
     order by at_xid desc, at_seq desc limit ${limit}`;
  return { text, params };
}
