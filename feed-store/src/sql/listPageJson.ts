import { createHash } from 'node:crypto';
import { cursorSql } from '../cursor.js';
import { pageClause, reactionCountsSql } from '../eventRow.js';
import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';
import type { ListEventsOptions } from './listEvents.js';

export interface PageJson {
  /** The page's items as a JSON array, each item built by PostgreSQL. */
  items: string;
  /** Position of the last item, when a next page exists. */
  next: Position | null;
}

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
  const params: unknown[] = [];
  const where = pageClause(options, params);
  params.push(options.limit);
  const limit = `$${params.length}::int`;
  const text = `
    select xid::text as xid, seq::text as seq, json_build_object(
             'id', event_id, 'source', source, 'type', type,
             'time', to_char(time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'subject', subject, 'subjectName', subject_name, 'actor', actor,
             'actorName', actor_name, 'data', data,
             'extensions', coalesce(extensions, '{}'::jsonb), 'reactions', ${reactionCountsSql},
             'cursor', ${cursorSql('xid', 'seq')})::text as item
      from feed_events where ${where}
     order by feed_events.xid desc, feed_events.seq desc limit ${limit} + 1`;
  const name = `feed-page-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  const { rows } = await client.query<{ xid: string; seq: string; item: string }>({
    name,
    text,
    values: params,
  });
  // The extra row only says that a next page exists.
  const more = rows.length > options.limit;
  const shown = more ? rows.slice(0, options.limit) : rows;
  return {
    items: `[${shown.map((row) => row.item).join(',')}]`,
    next: more ? { xid: shown.at(-1)!.xid, seq: shown.at(-1)!.seq } : null,
  };
}
