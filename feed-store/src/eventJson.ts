import { createHash } from 'node:crypto';
import { cursorSql } from './cursor.js';
import { reactionCountsSql } from './eventRow.js';
import type { Queryable } from './pool.js';
import type { Position } from './position.js';

/** A timestamptz column as text, exactly as JavaScript's toISOString writes it (UTC, ms). */
export const isoTimeSql = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One row of `feed_events` as the API's event view, built by PostgreSQL (time as
 * toISOString, the cursor as encodeCursor): what listPageJson and the organisation's pages
 * serve without turning rows into JavaScript objects. row_to_json of a one-row subselect,
 * not json_build_object: the variadic builder looks up the type of each of its 24 arguments
 * again for every row, which made it most of a page's execution (0.40 against 0.25 ms for
 * 51 rows, bench/README.md).
 */
export const eventJsonSql = `(select row_to_json(item) from (select
             event_id as "id", source as "source", type as "type",
             ${isoTimeSql('time')} as "time",
             subject as "subject", subject_name as "subjectName", actor as "actor",
             actor_name as "actorName", data as "data",
             coalesce(extensions, '{}'::jsonb) as "extensions", ${reactionCountsSql} as "reactions",
             ${cursorSql('xid', 'seq')} as "cursor") item)`;

export interface PageJson {
  /** The page's items as a JSON array, each item built by PostgreSQL. */
  items: string;
  /** Position of the last item, when a next page exists. */
  next: Position | null;
}

/**
 * Runs a page query that selects `xid`, `seq` and `item` (eventJsonSql) for `limit + 1` rows,
 * as a named prepared statement (planned once per connection and query shape), and joins
 * the items. The extra row only says that a next page exists.
 */
export async function readPageJson(
  client: Queryable,
  prefix: string,
  text: string,
  values: unknown[],
  limit: number,
): Promise<PageJson> {
  return pageJsonOf(await readPageRows<PageRow>(client, prefix, text, values), limit);
}

/** A page of `limit` items from up to `limit + 1` rows: the extra one says a next exists. */
export function pageJsonOf(rows: readonly PageRow[], limit: number): PageJson {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return {
    items: itemsJson(shown),
    next: more ? { xid: shown.at(-1)!.xid, seq: shown.at(-1)!.seq } : null,
  };
}

/** The rows' items as one JSON array. */
export function itemsJson(rows: readonly PageRow[]): string {
  return `[${rows.map((row) => row.item).join(',')}]`;
}

/** More columns of a page query, beside the item: each one's name and SQL expression. */
export type PageColumns = readonly (readonly [name: string, sql: string])[];

/** The select list of those columns (`, expression as "name"`). */
export function pageColumnsSql(columns: PageColumns): string {
  return columns.map(([name, sql]) => `, ${sql} as "${name}"`).join('');
}

/** A row of a page query: the position and the item's JSON. */
export interface PageRow {
  xid: string;
  seq: string;
  item: string;
}

/**
 * Statement names by text: a text written once and kept (the merged scope pages') is found by
 * the string itself, without hashing its 10 KB again. Dropped all at once past the bound.
 */
const statementNames = new Map<string, string>();
const statementNamesMax = 1000;

/** Runs a page query as a named prepared statement, named by a hash of its text. */
export async function readPageRows<R extends Pick<PageRow, 'xid' | 'seq'>>(
  client: Queryable,
  prefix: string,
  text: string,
  values: unknown[],
): Promise<R[]> {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `${prefix}-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    if (statementNames.size >= statementNamesMax) statementNames.clear();
    statementNames.set(text, name);
  }
  const { rows } = await client.query<R>({ name, text, values });
  return rows;
}
