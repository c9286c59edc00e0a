import {
  eventJsonSql,
  pageColumnsSql,
  readPageJson,
  type PageColumns,
  type PageJson,
} from '../eventJson.js';
import { filterClause, visibleClause, type EventFilter } from '../eventRow.js';
import type { OrgScope, ScopeSpan } from '../organisation/orgScope.js';
import type { Queryable } from '../pool.js';
import { comparePositions, type Position } from '../position.js';

export interface ListScopePageOptions extends EventFilter {
  scope: OrgScope;
  limit: number;
  before?: Position | undefined;
  /** The horizon the organisation was folded below (OrganisationReader): read below it. */
  horizon: string;
}

const end: Position = { xid: '18446744073709551615', seq: '9223372036854775807' };

const newestFirst = 'order by feed_events.xid desc, feed_events.seq desc';

type SpanRow = ReturnType<typeof spanRows>[number];

/** Each span cut at the page's cursor; the spans that end before it start are left out. */
function spanRows(spans: readonly ScopeSpan[], before: Position) {
  return spans.flatMap((span) => {
    const to = span.to === null || comparePositions(before, span.to) < 0 ? before : span.to;
    if (comparePositions(span.from, to) >= 0) return [];
    return [{ id: span.id, fx: span.from.xid, fs: span.from.seq, tx: to.xid, ts: to.seq }];
  });
}

/**
 * Ordered scans a page merges at most (two per person's span, one per team's span and per
 * department): past this the spans are read by the lateral form, whose query text does not
 * grow with the scope. Each scan costs about 10 µs to start and the prepared statement's plan
 * grows with them (a prepared statement per count of spans); 96 is two scans for each of 40
 * people, and their teams and department besides.
 */
export const mergedScansMax = 96;

/**
 * One page, newest first, of what happened in a team or department (see OrgScope): each
 * person's events as subject and as actor within their spans, the team's and the department's
 * own events. Each is an index range scan ending at the cursor, in the feed's order; under
 * one ORDER BY … LIMIT PostgreSQL merges them (Merge Append) and stops after the page, so a
 * page reads its own rows plus one per scan, however many people the scope holds. A
 * person's span ends at the cursor, so the next page, read before the last position of this
 * one, neither skips nor repeats an event.
 */
export async function listScopePageJson(
  client: Queryable,
  options: ListScopePageOptions,
): Promise<PageJson> {
  const { text, params } = scopePageQuery(options);
  return readPageJson(client, 'feed-scope', text, params, options.limit);
}

/**
 * The query of listScopePageJson (`limit + 1` rows), with more columns when asked; in the
 * merged form up to `scansMax` scans (the tests ask for both forms).
 */
export function scopePageQuery(
  options: ListScopePageOptions,
  columns: PageColumns = [],
  scansMax = mergedScansMax,
): { text: string; params: unknown[] } {
  const before = options.before ?? end;
  const people = spanRows(options.scope.people, before);
  const teams = spanRows(options.scope.teams, before);
  const { departments } = options.scope;
  const params: unknown[] = [];
  const where = `${filterClause(options, params)} and ${visibleClause(options.horizon, params)}`;
  if (2 * people.length + teams.length + departments.length > scansMax) {
    const hits = lateralHits(people, teams, departments, before, where, params, options.limit);
    params.push(options.limit);
    return { text: pageText(hits, params.length, pageColumnsSql(columns)), params };
  }
  const first = params.length + 1;
  for (const span of [...people, ...teams])
    params.push(span.id, span.fx, span.fs, span.tx, span.ts);
  if (departments.length > 0) params.push(before.xid, before.seq, ...departments);
  params.push(options.limit);
  const shape = [where, first, people.length, teams.length, departments.length];
  const key = `${shape.join('\u0000')}\u0000${pageColumnsSql(columns)}`;
  let text = mergedTexts.get(key);
  if (text === undefined) {
    const hits = mergedHits(where, first, people.length, teams.length, departments.length);
    text = pageText(hits, params.length, pageColumnsSql(columns));
    if (mergedTexts.size >= mergedTextsMax) mergedTexts.clear();
    mergedTexts.set(key, text);
  }
  return { text, params };
}

/**
 * The page of the hits' newest positions, each row read with its item (`$limit` + 1), by its
 * `seq` (the primary key: one row per `seq`, whatever its `xid`).
 */
function pageText(hits: string, limitParam: number, columns: string): string {
  const limit = `$${limitParam}::int + 1`;
  return `
    with page as (${hits} order by xid desc, seq desc limit ${limit})
    select xid::text as xid, seq::text as seq, ${eventJsonSql}::text as item${columns}
      from feed_events where feed_events.seq in (select seq from page)
     ${newestFirst} limit ${limit}`;
}

/**
 * The merged form's texts by their shape (the filter, how many people, teams and
 * departments): every page of a scope of that size has the same text, so it is written, and
 * its statement named, once. A handful of shapes in practice; dropped all at once past this.
 */
const mergedTexts = new Map<string, string>();
const mergedTextsMax = 1000;

/**
 * The positions of the scope's events, one ordered scan per span (its values as parameters
 * from `$first` on: five per span, the person's or team's id and its two ends, then the
 * cursor and the department ids), merged and made distinct (an event can be one person's as
 * subject and another's as actor).
 */
function mergedHits(
  where: string,
  first: number,
  people: number,
  teams: number,
  departments: number,
): string {
  const $ = (n: number) => `$${first + n}`;
  const within = (at: number) => `(xid, seq) >= (${$(at + 1)}::xid8, ${$(at + 2)}::bigint)
      and (xid, seq) < (${$(at + 3)}::xid8, ${$(at + 4)}::bigint)`;
  const scan = (match: string, range: string) =>
    `(select xid, seq from feed_events where ${match} and ${range} and ${where} ${newestFirst})`;
  const scans: string[] = [];
  for (let i = 0; i < people; i++)
    scans.push(
      scan(`subject = ${$(5 * i)}`, within(5 * i)),
      scan(`actor = ${$(5 * i)}`, within(5 * i)),
    );
  for (let i = people; i < people + teams; i++)
    scans.push(
      scan(`type = 'team.structure_changed' and data->>'teamId' = ${$(5 * i)}`, within(5 * i)),
    );
  const at = 5 * (people + teams);
  const upTo = `(xid, seq) < (${$(at)}::xid8, ${$(at + 1)}::bigint)`;
  for (let i = 0; i < departments; i++)
    scans.push(
      scan(`type = 'department.renamed' and data->>'departmentId' = ${$(at + 2 + i)}`, upTo),
    );
  // No scan at all (a team with nobody in it yet): a page of nothing.
  if (scans.length === 0) return `select xid, seq from feed_events where false and ${where}`;
  return `select distinct xid, seq from (${scans.join(' union all ')}) hits`;
}

/**
 * The same positions for a scope of many spans: the spans as one JSON parameter, each read
 * as an index range scan of at most a page ending at the cursor (all of it with no `limit`),
 * then sorted together.
 */
function lateralHits(
  people: SpanRow[],
  teams: SpanRow[],
  departments: string[],
  before: Position,
  where: string,
  params: unknown[],
  limit: number | null,
): string {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const spans = (rows: SpanRow[]) =>
    `jsonb_to_recordset(${p(JSON.stringify(rows))}::jsonb) as s(id text, fx xid8, fs bigint, tx xid8, ts bigint)`;
  const within = `(xid, seq) >= (s.fx, s.fs) and (xid, seq) < (s.tx, s.ts)`;
  const page = limit === null ? '' : `${newestFirst} limit ${p(limit)}::int + 1`;
  const bySpan = (rows: SpanRow[], match: string) =>
    `select h.xid, h.seq from ${spans(rows)} cross join lateral (
       select xid, seq from feed_events where ${match} and ${within} and ${where} ${page}) h`;
  return `select xid, seq from (
      ${bySpan(people, 'subject = s.id')}
      union ${bySpan(people, 'actor = s.id')}
      union ${bySpan(teams, `type = 'team.structure_changed' and data->>'teamId' = s.id`)}
      union (select xid, seq from feed_events
              where type = 'department.renamed' and data->>'departmentId' = any(${p(departments)}::text[])
                and (xid, seq) < (${p(before.xid)}::xid8, ${p(before.seq)}::bigint) and ${where} ${page})
    ) hits`;
}

/**
 * Every position of a scope's events that are not hidden, from one horizon to the next
 * (`xid` in [from, to)), oldest first: what ScopePositions keeps of a scope. The same scans
 * as a page's, without its cursor and its limit.
 */
export function scopePositionsQuery(
  scope: OrgScope,
  from: string,
  to: string,
): { text: string; params: unknown[] } {
  const people = spanRows(scope.people, end);
  const teams = spanRows(scope.teams, end);
  const { departments } = scope;
  const params: unknown[] = [from, to];
  const where = 'hidden_at is null and xid >= $1::xid8 and xid < $2::xid8';
  let hits: string;
  if (2 * people.length + teams.length + departments.length > mergedScansMax)
    hits = lateralHits(people, teams, departments, end, where, params, null);
  else {
    const first = params.length + 1;
    for (const span of [...people, ...teams])
      params.push(span.id, span.fx, span.fs, span.tx, span.ts);
    if (departments.length > 0) params.push(end.xid, end.seq, ...departments);
    hits = mergedHits(where, first, people.length, teams.length, departments.length);
  }
  return {
    text: `select xid::text as xid, seq::text as seq from (${hits}) h order by h.xid, h.seq`,
    params,
  };
}
