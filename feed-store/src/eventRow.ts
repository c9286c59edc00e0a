import { horizonAbove, type Position } from './position.js';

/**
 * An event as the store returns it. `xid` and `seq` are its position in the feed (see
 * 003_concurrent_writes).
 */
export interface StoredEvent {
  xid: string;
  seq: string;
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string | null;
  /** The display name of a subject object, beside its id. */
  subjectName: string | null;
  actor: string | null;
  /** The display name of an actor object (`{"id": "hr-7", "name": "HR bot"}`), beside its id. */
  actorName: string | null;
  data: unknown;
  /** The event's extension attributes (a `summary`, …); empty when it had none. */
  extensions: Record<string, unknown>;
  reactions: Record<string, number>;
  storedAt: string;
}

/** The reaction counters of the row's event, kept apart by reaction writers. */
export const reactionCountsSql = `coalesce((select c.counts from feed_reaction_counts c
   where c.target_source = feed_events.source and c.target_id = feed_events.event_id), '{}'::jsonb)`;

/**
 * The columns of a StoredEvent. The position is selected as text (`xid::text as xid`), so a
 * query that selects these must order by `feed_events.xid`: a bare `xid` in ORDER BY names
 * the output column, the text, which puts transaction 10 before 9 and reads the whole table
 * to sort it instead of walking the position index.
 */
export const eventColumns = `xid::text as xid, seq, event_id, source, type, time, subject, subject_name, actor, actor_name, data, extensions, ${reactionCountsSql} as reactions, stored_at`;

export interface EventRow {
  xid: string;
  seq: string;
  event_id: string;
  source: string;
  type: string;
  time: Date;
  subject: string | null;
  subject_name: string | null;
  actor: string | null;
  actor_name: string | null;
  data: unknown;
  extensions: Record<string, unknown> | null;
  reactions: Record<string, number>;
  stored_at: Date;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    xid: row.xid,
    seq: row.seq,
    id: row.event_id,
    source: row.source,
    type: row.type,
    time: row.time.toISOString(),
    subject: row.subject,
    subjectName: row.subject_name,
    actor: row.actor,
    actorName: row.actor_name,
    data: row.data,
    extensions: row.extensions ?? {},
    reactions: row.reactions,
    storedAt: row.stored_at.toISOString(),
  };
}

/** The filters the API offers; each one has an index that ends in the position. */
export interface EventFilter {
  types?: readonly string[] | undefined;
  source?: string | undefined;
  actor?: string | undefined;
  subject?: string | undefined;
  /** Event time, inclusive. ISO 8601. */
  since?: string | undefined;
  /** Event time, exclusive. ISO 8601. */
  until?: string | undefined;
}

/** Whether a filter keeps every event (its WHERE clause is only `hidden_at is null`). */
export function isUnfiltered(filter: EventFilter): boolean {
  return (
    (filter.types === undefined || filter.types.length === 0) &&
    filter.source === undefined &&
    filter.actor === undefined &&
    filter.subject === undefined &&
    filter.since === undefined &&
    filter.until === undefined
  );
}

/**
 * A filter on one value of one indexed column (one type, a source, an actor or a subject):
 * its index, in the feed's order, is the best plan for every value, so the plan need not be
 * made for the value (see listPageJson).
 */
export function isOneKeyFilter(filter: EventFilter): boolean {
  const keys = [
    filter.types !== undefined && filter.types.length > 0 ? filter.types.length : 0,
    filter.source === undefined ? 0 : 1,
    filter.actor === undefined ? 0 : 1,
    filter.subject === undefined ? 0 : 1,
  ];
  return (
    keys.reduce((a, b) => a + b, 0) === 1 &&
    filter.since === undefined &&
    filter.until === undefined
  );
}

/** Builds the WHERE clause of a filter; only the predicates present, so plans use the index. */
export function filterClause(filter: EventFilter, params: unknown[]): string {
  const where = ['hidden_at is null'];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.types !== undefined && filter.types.length > 0) {
    if (filter.types.length === 1) add((n) => `type = $${n}`, filter.types[0]);
    else add((n) => `type = any($${n}::text[])`, filter.types);
  }
  if (filter.source !== undefined) add((n) => `source = $${n}`, filter.source);
  if (filter.actor !== undefined) add((n) => `actor = $${n}`, filter.actor);
  if (filter.subject !== undefined) add((n) => `subject = $${n}`, filter.subject);
  if (filter.since !== undefined) add((n) => `time >= $${n}::timestamptz`, filter.since);
  if (filter.until !== undefined) add((n) => `time < $${n}::timestamptz`, filter.until);
  return where.join(' and ');
}

/**
 * Only what readers may see: events below the visibility horizon. `horizon` is one read
 * earlier (`readVisibility`), or, left out, read by the query itself.
 */
export function visibleClause(horizon: string | undefined, params: unknown[]): string {
  if (horizon === undefined) return 'xid < feed_visible_horizon()';
  params.push(horizon);
  return `xid < $${params.length}::xid8`;
}

/**
 * The WHERE of a page newest first: the filter, visible, and only events older than `before`.
 * Below a cursor the feed handed out every event is final (the cursor's event was visible, so
 * every transaction that could write at or below it had ended): without a horizon given, such
 * a page reads just above the cursor rather than computing one, so that a walk never reads a
 * page below a lower horizon than the page before it read (a horizon computed while a
 * transaction elsewhere ends counts it as a writer for that moment).
 */
export function pageClause(
  options: EventFilter & { before?: Position | undefined; horizon?: string | undefined },
  params: unknown[],
): string {
  const horizon =
    options.horizon ?? (options.before === undefined ? undefined : horizonAbove(options.before));
  const where = `${filterClause(options, params)} and ${visibleClause(horizon, params)}`;
  if (options.before === undefined) return where;
  params.push(options.before.xid, options.before.seq);
  return `${where} and (xid, seq) < ($${params.length - 1}::xid8, $${params.length}::bigint)`;
}
