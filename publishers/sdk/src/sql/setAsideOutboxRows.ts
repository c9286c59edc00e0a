import type pg from 'pg';

export interface OutboxSetAside {
  id: string;
  reason: string;
}

/**
 * Sets aside rows that failed for good as often as the relay allows: they stop being pending,
 * so the later rows of their source go out; the reason stays on the row for an operator.
 */
export async function setAsideOutboxRows(
  client: Pick<pg.ClientBase, 'query'>,
  rows: readonly OutboxSetAside[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `update feed_outbox o
     set attempts = o.attempts + 1,
         permanent_failures = o.permanent_failures + 1,
         set_aside_at = now(),
         set_aside_reason = r.reason,
         last_error = r.reason
     from unnest($1::bigint[], $2::text[]) as r(id, reason)
     where o.id = r.id`,
    [rows.map((r) => r.id), rows.map((r) => r.reason)],
  );
}
