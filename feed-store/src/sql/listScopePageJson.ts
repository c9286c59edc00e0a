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

/** Each span cut at the page's cursor, as the rows of the query's JSON parameter. */
function spanRows(spans: readonly ScopeSpan[], before: Position) {
  return spans.flatMap((span) => {
    const to = span.to === null || comparePositions(before, span.to) < 0 ? before : span.to;
    if (comparePositions(span.from, to) >= 0) return [];
    return [{ id: span.id, fx: span.from.xid, fs: span.from.seq, tx: to.xid, ts: to.seq }];
  });
}

/**
 * One page, newest first, of what happened in a team or department (see OrgScope): each
 * person's events as subject and as actor within their spans, the team's and the department's
 * own events, each read as an index range scan of at most a page ending at the cursor, merged
 * by position. A person's span ends at the cursor, so the next page, read before the last
 * position of this one, neither skips nor repeats an event.
 */
export async function listScopePageJson(
  client: Queryable,
  options: ListScopePageOptions,
): Promise<PageJson> {
  const { text, params } = scopePageQuery(options);
  return readPageJson(client, 'feed-scope', text, params, options.limit);
}

/** The query of listScopePageJson (`limit + 1` rows), with more columns when asked. */
export function scopePageQuery(
  options: ListScopePageOptions,
  columns: PageColumns = [],
): { text: string; params: unknown[] } {
  const before = options.before ?? end;
  const params: unknown[] = [];
  const where = `${filterClause(options, params)} and ${visibleClause(options.horizon, params)}`;
  params.push(JSON.stringify(spanRows(options.scope.people, before)));
  const people = `$${params.length}::jsonb`;
  params.push(JSON.stringify(spanRows(options.scope.teams, before)));
  const teams = `$${params.length}::jsonb`;
  params.push(options.scope.departments, before.xid, before.seq, options.limit);
  const [departments, bx, bs, limit] = [3, 2, 1, 0].map((back) => `$${params.length - back}`);
  const spans = (json: string) =>
    `jsonb_to_recordset(${json}) as s(id text, fx xid8, fs bigint, tx xid8, ts bigint)`;
  const within = `(xid, seq) >= (s.fx, s.fs) and (xid, seq) < (s.tx, s.ts)`;
  const newest = `order by feed_events.xid desc, feed_events.seq desc limit ${limit}::int + 1`;
  const bySpan = (json: string, match: string) =>
    `select h.xid, h.seq from ${spans(json)} cross join lateral (
       select xid, seq from feed_events where ${match} and ${within} and ${where} ${newest}) h`;
  const text = `
    with hits as (
      ${bySpan(people, 'subject = s.id')}
      union ${bySpan(people, 'actor = s.id')}
      union ${bySpan(teams, `type = 'team.structure_changed' and data->>'teamId' = s.id`)}
      union (select xid, seq from feed_events
              where type = 'department.renamed' and data->>'departmentId' = any(${departments}::text[])
                and (xid, seq) < (${bx}::xid8, ${bs}::bigint) and ${where} ${newest})
    ), page as (select xid, seq from hits order by xid desc, seq desc limit ${limit}::int + 1)
    select xid::text as xid, seq::text as seq, ${eventJsonSql}::text as item${pageColumnsSql(columns)}
      from feed_events where (feed_events.xid, feed_events.seq) in (select xid, seq from page)
     ${newest}`;
  return { text, params };
}
