import {
  encodeCursor,
  listGroupRows,
  type EventFilter,
  type GroupRow,
  type Position,
} from '@feed/store';
import { encodedBody, eventKey, type FeedPage } from './eventView.js';
import {
  cursorAt,
  groupFieldsOf,
  groupSummary,
  inlineMembers,
  planPage,
  type GroupFields,
  type GroupMode,
  type Run,
} from './grouping.js';
import type { ResolvedOrg } from './orgPage.js';
import type { ReadRouter } from './readRouter.js';

/**
 * Events a grouped page reads at most. A run longer than this (a bulk import) is cut: the
 * page ends inside it, and the next page starts with its rest ("and N more").
 */
export const groupScanLimit = 500;

export interface GroupedPageRequest {
  mode: GroupMode;
  filter: EventFilter;
  before: Position | undefined;
  limit: number;
  /** A team's or department's page: its scope, and the horizon it was resolved below. */
  org: ResolvedOrg | undefined;
  /** The query string of the same filter, for each group's link to its members. */
  query: URLSearchParams;
}

const nextSeq = (p: Position): Position => ({ xid: p.xid, seq: String(BigInt(p.seq) + 1n) });

const parsed = new WeakMap<GroupRow, GroupFields>();

/** The fields a group's summary reads, from a member's item (built by PostgreSQL), once. */
function fieldsOf(row: GroupRow): GroupFields {
  let fields = parsed.get(row);
  if (fields === undefined) {
    fields = groupFieldsOf(JSON.parse(row.item) as { type: string; source: string; data: unknown });
    parsed.set(row, fields);
  }
  return fields;
}

function groupJson(run: Run<GroupRow>, query: URLSearchParams): string {
  const count = run.rows.length;
  const newest = run.rows[0]!;
  const membersCursor = cursorAt(newest);
  const link = new URLSearchParams(query);
  link.set('limit', String(Math.min(count, 100)));
  link.set('cursor', membersCursor);
  const head = JSON.stringify({
    kind: 'group',
    key: run.key,
    type: fieldsOf(newest).type,
    count,
    continued: run.continued,
    summary: groupSummary(run, fieldsOf),
    more: Math.max(0, count - inlineMembers),
    membersCursor,
    membersHref: `/events?${link.toString()}`,
    cursor: encodeCursor(run.rows.at(-1)!),
  });
  const members = run.rows.slice(0, inlineMembers).map((row) => row.item);
  return `${head.slice(0, -1)},"members":[${members.join(',')}]}`;
}

/**
 * A page of `limit` items, each one event or a group (a contiguous run of alike events, see
 * groupKey), read in batches until the last item is known to be complete or the scan limit
 * is reached. The cursor is the last (lowest) position the page consumed: walking pages by
 * cursor reads every event exactly once, in groups or alone.
 */
export async function readGroupedPage(
  readRouter: ReadRouter,
  request: GroupedPageRequest,
): Promise<FeedPage> {
  const { limit, filter, org } = request;
  const { client, horizon } = org ?? (await readRouter.reader(request.before));
  const readRows = (before: Position | undefined, n: number) =>
    listGroupRows(client, {
      ...filter,
      before,
      limit: n,
      ...(org === undefined ? { horizon } : { horizon: org.horizon, scope: org.scope }),
    } as Parameters<typeof listGroupRows>[1]);
  // The first read starts at the cursor's own event, when it is still there: it says whether
  // the first run continues one cut on the previous page, and is not part of this page.
  const rows: GroupRow[] = [];
  // Every event the page was made from, the cursor's own and those past it included: a
  // change of any of them can change how the page groups.
  const read: string[] = [];
  let contextKey: string | undefined;
  let before = request.before === undefined ? undefined : nextSeq(request.before);
  // Most events are alone: a page of `limit` items is usually `limit + 1` rows.
  let batch = Math.min(groupScanLimit, limit + 2);
  for (;;) {
    const got = await readRows(before, batch);
    for (const row of got) read.push(eventKey(row.source, row.id));
    const ended = got.length <= batch;
    const taken = got.slice(0, batch);
    const at = rows.length === 0 && request.before !== undefined ? taken[0] : undefined;
    if (at !== undefined && at.xid === request.before!.xid && at.seq === request.before!.seq) {
      contextKey = at.key;
      taken.shift();
    }
    rows.push(...taken);
    const plan = planPage(rows, (row) => row.key, {
      limit,
      ended,
      budget: groupScanLimit,
      contextKey,
    });
    if (plan !== undefined) {
      const items = plan.runs.map((run) =>
        run.rows.length === 1 && !run.continued
          ? `${run.rows[0]!.item.slice(0, -1)},"group":${JSON.stringify(run.key)}}`
          : groupJson(run, request.query),
      );
      const last = plan.runs.at(-1)?.rows.at(-1);
      const nextCursor = plan.more && last !== undefined ? encodeCursor(last) : null;
      const scope = org === undefined ? '' : `,"scope":${JSON.stringify(org.resolved)}`;
      const body = `{"items":[${items.join(',')}],"nextCursor":${JSON.stringify(nextCursor)}${scope}}`;
      return { ...encodedBody(body), nextCursor, events: read };
    }
    before = got[batch - 1]!;
    batch = Math.min(groupScanLimit - rows.length, batch * 4);
  }
}
