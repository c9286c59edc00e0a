import type { EventFilter } from '../eventRow.js';
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
  const where = [visibleClause(options.horizon, params)];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (options.types !== undefined && options.types.length > 0)
    add((n) => `type = any($${n}::text[])`, options.types);
  if (options.source !== undefined) add((n) => `target_source = $${n}`, options.source);
  if (options.actor !== undefined) add((n) => `actor_hash = $${n}`, personHash(options.actor));
  if (options.subject !== undefined)
    add((n) => `subject_hash = $${n}`, personHash(options.subject));
  if (options.since !== undefined) add((n) => `time >= $${n}::timestamptz`, options.since);
  if (options.until !== undefined) add((n) => `time < $${n}::timestamptz`, options.until);
  params.push(options.after.xid, options.after.seq, options.limit);
  const n = params.length;
  const { rows } = await client.query<{
    xid: string;
    seq: string;
    kind: 'reactions' | 'removed';
    target_source: string;
    target_id: string;
    counts: Record<string, number> | null;
    type: string | null;
    time: Date | null;
    actor_hash: string | null;
    subject_hash: string | null;
  }>(
    `select xid::text as xid, seq, kind, target_source, target_id, counts, type, time,
            actor_hash, subject_hash
       from feed_changes
      where ${where.join(' and ')} and (xid, seq) > ($${n - 2}::xid8, $${n - 1}::bigint)
      order by feed_changes.xid, feed_changes.seq limit $${n}`,
    params,
  );
  return rows.map((row) => ({
    xid: row.xid,
    seq: row.seq,
    kind: row.kind,
    source: row.target_source,
    id: row.target_id,
    ...(row.kind === 'reactions' ? { reactions: row.counts ?? {} } : {}),
    match: {
      type: row.type,
      time: row.time?.toISOString() ?? null,
      actorHash: row.actor_hash,
      subjectHash: row.subject_hash,
    },
  }));
}
