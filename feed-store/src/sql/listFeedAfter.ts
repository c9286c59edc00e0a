import { isoTimeSql, readPageRows } from '../eventJson.js';
import {
  filterClause,
  reactionCountsSql,
  type EventFilter,
  type StoredEvent,
} from '../eventRow.js';
import type { Queryable } from '../pool.js';
import { comparePositions, type Position } from '../position.js';
import { changesFilterClause, toStoredChange, type StoredChange } from './listChangesAfter.js';
import type { Visibility } from './readVisibility.js';

/** One item of the feed's order: a new event, or a change to one. */
export type FeedItem = { kind: 'event'; event: StoredEvent } | StoredChange;

export interface ListFeedAfterOptions extends EventFilter {
  after: Position;
  limit: number;
  horizon?: string | undefined;
}

/** One look at the feed: what became visible after a position, and the horizon it was read below. */
export interface FeedRead {
  items: FeedItem[];
  visibility: Visibility;
}

export function itemPosition(item: FeedItem): Position {
  return item.kind === 'event' ? item.event : item;
}

/**
 * Everything after a position, oldest first: new events and changes to events, merged in the
 * feed's one order, at most `limit`. What a stream sends, and what a client resuming with
 * Last-Event-ID missed. One statement, below `horizon` (one read earlier) or, left out, below
 * the horizon the statement reads itself.
 */
export async function listFeedAfter(
  client: Queryable,
  options: ListFeedAfterOptions,
): Promise<FeedItem[]> {
  return (await feedAfter(client, options, options.horizon)).items;
}

/**
 * A live reader's look, in one round trip: the visibility horizon (`readVisibility`) and the
 * items after `after` below it, read with the same snapshot. A look that finds `limit` items
 * reads on with `listFeedAfter` below the same horizon.
 */
export async function readFeedAfter(
  client: Queryable,
  options: Omit<ListFeedAfterOptions, 'horizon'>,
): Promise<FeedRead> {
  return feedAfter(client, options, undefined);
}

/**
 * A live reader's whole look, page by page: `readFeedAfter` (the horizon and the first page in
 * one round trip), then `listFeedAfter` below that same horizon from the last item while pages
 * come back full. Every page carries the look's visibility.
 */
export async function* readFeedPagesAfter(
  client: Queryable,
  options: Omit<ListFeedAfterOptions, 'horizon'>,
): AsyncGenerator<FeedRead> {
  const look = await readFeedAfter(client, options);
  const { visibility } = look;
  for (let items = look.items; ;) {
    yield { items, visibility };
    if (items.length < options.limit) return;
    items = await listFeedAfter(client, {
      ...options,
      after: itemPosition(items.at(-1)!),
      horizon: visibility.horizon,
    });
  }
}

/** A row of the look: the visibility, then an event, a change, or (nothing new) neither. */
interface FeedRow {
  horizon: string;
  held: boolean | null;
  lsn: string | null;
  kind: 'event' | 'reactions' | 'removed' | null;
  xid: string;
  seq: string;
  id: string;
  source: string;
  type: string | null;
  /** As toISOString, built by PostgreSQL (see eventJsonSql). */
  time: string | null;
  subject: string | null;
  subject_name: string | null;
  actor: string | null;
  actor_name: string | null;
  data: unknown;
  extensions: Record<string, unknown> | null;
  counts: Record<string, number> | null;
  stored_at: string | null;
  actor_hash: string | null;
  subject_hash: string | null;
}

async function feedAfter(
  client: Queryable,
  options: EventFilter & { after: Position; limit: number },
  horizon: string | undefined,
): Promise<FeedRead> {
  const params: unknown[] = [];
  const push = (value: unknown) => (params.push(value), `$${params.length}`);
  // The horizon's own statement (see readVisibility), or the one given: its snapshot is the
  // statement's, so the rows below it are read complete.
  const visibility =
    horizon === undefined
      ? `select h, h < pg_snapshot_xmax(pg_current_snapshot()) as held,
                pg_current_wal_lsn()::text as lsn
           from feed_visible_horizon() as h`
      : `select ${push(horizon)}::xid8 as h, null::boolean as held, null::text as lsn`;
  const events = filterClause(options, params);
  const changes = changesFilterClause(options, params);
  const after = `(xid, seq) > (${push(options.after.xid)}::xid8, ${push(options.after.seq)}::bigint)`;
  const limit = push(options.limit);
  // Planned once per connection and filter shape; times come as text, as the API writes them.
  const rows = await readPageRows<FeedRow>(
    client,
    'feed-after',
    `with v as materialized (${visibility})
     select v.h::text as horizon, v.held, v.lsn, x.*
       from v left join lateral (
         (select 'event' as kind, xid::text as xid, seq, event_id as id, source, type,
                 ${isoTimeSql('time')} as time, subject, subject_name, actor, actor_name, data,
                 extensions, ${reactionCountsSql} as counts, ${isoTimeSql('stored_at')} as stored_at,
                 null::text as actor_hash, null::text as subject_hash
            from feed_events
           where ${events} and xid < v.h and ${after}
           order by feed_events.xid, feed_events.seq limit ${limit})
         union all
         (select kind, xid::text, seq, target_id, target_source, type, ${isoTimeSql('time')},
                 null, null, null, null, null, null, counts, null, actor_hash, subject_hash
            from feed_changes
           where ${changes} and xid < v.h and ${after}
           order by feed_changes.xid, feed_changes.seq limit ${limit})
       ) x on true`,
    params,
  );
  const first = rows[0]!;
  const items: FeedItem[] = [];
  for (const row of rows) {
    if (row.kind === null) continue;
    items.push(
      row.kind === 'event'
        ? { kind: 'event', event: storedEvent(row) }
        : // A change's row is rare beside events: copied into the shape listChangesAfter maps.
          toStoredChange({ ...row, kind: row.kind, target_source: row.source, target_id: row.id }),
    );
  }
  items.sort((a, b) => comparePositions(itemPosition(a), itemPosition(b)));
  // A list cut at `limit` is complete only up to its last item; the first `limit` of the
  // merge never go past it.
  return {
    items: items.length > options.limit ? items.slice(0, options.limit) : items,
    visibility: { horizon: first.horizon, held: first.held ?? false, lsn: first.lsn ?? '' },
  };
}

function storedEvent(row: FeedRow): StoredEvent {
  return {
    xid: row.xid,
    seq: row.seq,
    id: row.id,
    source: row.source,
    type: row.type!,
    time: row.time!,
    subject: row.subject,
    subjectName: row.subject_name,
    actor: row.actor,
    actorName: row.actor_name,
    data: row.data,
    extensions: row.extensions ?? {},
    reactions: row.counts ?? {},
    storedAt: row.stored_at!,
  };
}
