import { isoTimeSql } from '../eventJson.js';
import type { Queryable } from '../pool.js';

/** What the feed stored of one type from one source, between two horizons. */
export interface TypeSeen {
  type: string;
  source: string;
  /** When the feed first and last stored an event of it (`stored_at`), ISO 8601. */
  firstSeen: string;
  lastSeen: string;
  events: number;
}

/**
 * The types outside `declared` that the feed stored, per source, among the rows whose
 * transaction id lies in [`from`, `horizon`): every transaction below a horizon has ended, so
 * a caller that keeps the horizon and asks again from it counts each row once, reading only
 * what arrived since (the `(xid, seq)` index). Nothing is written: no counter row that every
 * batch would update and every writer would wait for. Hidden and erased events count too: the
 * question is what the company sends.
 */
export async function listTypesSeen(
  client: Queryable,
  range: { from: string; horizon: string; declared: readonly string[] },
): Promise<TypeSeen[]> {
  const { rows } = await client.query<TypeSeen>(
    `select type, source,
            ${isoTimeSql('min(stored_at)')} as "firstSeen",
            ${isoTimeSql('max(stored_at)')} as "lastSeen",
            count(*)::int as events
       from feed_events
      where xid >= $1::xid8 and xid < $2::xid8 and type <> all($3::text[])
      group by type, source
      order by type, source`,
    [range.from, range.horizon, range.declared],
  );
  return rows;
}
