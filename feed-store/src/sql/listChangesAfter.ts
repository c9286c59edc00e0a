import type { EventFilter } from '../eventRow.js';
import { isoTimeSql } from '../eventJson.js';
import { visibleClause } from '../eventRow.js';
import { personHash } from '../personHash.js';
import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';

/** A change to an event already in the feed (see 004_changes), at its own position. */
export interface StoredChange {
  xid: string;
  seq: string;
  kind: 'reactions' | 'removed';
  /** The event it changed. */
  source: string;
  id: string;
  /** `reactions`: the event's counters now. */
  reactions?: Record<string, number>;
  /** What a stream's filter matches on: the changed event as it was when it changed. */
  match: {
    type: string | null;
    time: string | null;
    actorHash: string | null;
    subjectHash: string | null;
  };
}

export interface ListChangesAfterOptions extends EventFilter {
  after: Position;
  limit: number;
  /** The visibility horizon to read below (`readVisibility`); by default the current one. */
  horizon?: string | undefined;
}

/**
 * Changes after a position, oldest first, that a stream with this filter gets: matched on
 * the changed event as it was when it changed (its type, source and time, its actor's and
 * subject's hash).
 */
export async function listChangesAfter(
  client: Queryable,
  options: ListChangesAfterOptions,
): Promise<StoredChange[]> {
  const params: unknown[] = [];
  const where = [changesFilterClause(options, params), visibleClause(options.horizon, params)];
  params.push(options.after.xid, options.after.seq, options.limit);
  const n = params.length;
  const { rows } = await client.query<ChangeRow>(
    `select xid::text as xid, seq, kind, target_source, target_id, counts, type,
            ${isoTimeSql('time')} as time, actor_hash, subject_hash
       from feed_changes
      where ${where.join(' and ')} and (xid, seq) > ($${n - 2}::xid8, $${n - 1}::bigint)
      order by feed_changes.xid, feed_changes.seq limit $${n}`,
    params,
  );
  return rows.map(toStoredChange);
}

/**
 * The WHERE of the changes a stream with this filter gets: matched on the changed event as it
 * was when it changed (its type, source and time, its actor's and subject's hash).
 */
export function changesFilterClause(filter: EventFilter, params: unknown[]): string {
  const where = ['true'];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.types !== undefined && filter.types.length > 0)
    add((n) => `type = any($${n}::text[])`, filter.types);
  if (filter.source !== undefined) add((n) => `target_source = $${n}`, filter.source);
  if (filter.actor !== undefined) add((n) => `actor_hash = $${n}`, personHash(filter.actor));
  if (filter.subject !== undefined) add((n) => `subject_hash = $${n}`, personHash(filter.subject));
  if (filter.since !== undefined) add((n) => `time >= $${n}::timestamptz`, filter.since);
  if (filter.until !== undefined) add((n) => `time < $${n}::timestamptz`, filter.until);
  return where.join(' and ');
}

export interface ChangeRow {
  xid: string;
  seq: string;
  kind: 'reactions' | 'removed';
  target_source: string;
  target_id: string;
  counts: Record<string, number> | null;
  type: string | null;
  /** As toISOString (isoTimeSql). */
  time: string | null;
  actor_hash: string | null;
  subject_hash: string | null;
}

export function toStoredChange(row: ChangeRow): StoredChange {
  return {
    xid: row.xid,
    seq: row.seq,
    kind: row.kind,
    source: row.target_source,
    id: row.target_id,
    ...(row.kind === 'reactions' ? { reactions: row.counts ?? {} } : {}),
    match: {
      type: row.type,
      time: row.time,
      actorHash: row.actor_hash,
      subjectHash: row.subject_hash,
    },
  };
}
