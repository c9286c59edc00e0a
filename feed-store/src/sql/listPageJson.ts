import { pageClause } from '../eventRow.js';
import { eventJsonSql, readPageJson, type PageJson } from '../eventJson.js';
import type { Queryable } from '../pool.js';
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

/** The query of listPageJson (`limit + 1` rows), with more columns when asked. */
export function pageQuery(
  options: ListEventsOptions,
  columns = '',
): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = pageClause(options, params);
  params.push(options.limit);
  const limit = `$${params.length}::int`;
  const text = `
    select xid::text as xid, seq::text as seq, ${eventJsonSql}::text as item${columns}
      from feed_events where ${where}
     order by feed_events.xid desc, feed_events.seq desc limit ${limit} + 1`;
  return { text, params };
}
