import type pg from 'pg';
import { OUTBOX_CHANNEL } from '../outboxMigration.js';

/** Which set-aside rows to try again: some ids, one source, or all of them. */
export type OutboxRetrySelection = { ids: readonly string[] } | { source: string } | { all: true };

/**
 * Puts set-aside rows back in line (an operator's decision: the cause was fixed), each with
 * its permanent failures counted from 0 again, and wakes the relays. They go out as the
 * oldest pending rows of their source, before the rows that overtook them meanwhile. Returns
 * how many rows it put back.
 */
export async function retryOutboxRows(
  client: Pick<pg.ClientBase, 'query'>,
  selection: OutboxRetrySelection,
): Promise<number> {
  const [where, params] =
    'ids' in selection
      ? ['id = any($1::bigint[])', [selection.ids]]
      : 'source' in selection
        ? ['source = $1', [selection.source]]
        : ['true', []];
  const { rowCount } = await client.query(
    `update feed_outbox
     set set_aside_at = null, set_aside_reason = null, permanent_failures = 0,
         next_attempt_at = now()
     where set_aside_at is not null and sent_at is null and ${where}`,
    params,
  );
  await client.query('select pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
  return rowCount ?? 0;
}

export interface SetAsideOutboxRow {
  id: string;
  source: string;
  eventId: string;
  type: string;
  attempts: number;
  setAsideAt: Date;
  reason: string;
}

/** Rows set aside now, oldest first, and how many there are. */
export async function listSetAsideOutboxRows(
  client: Pick<pg.ClientBase, 'query'>,
  limit = 100,
): Promise<{ count: number; rows: SetAsideOutboxRow[] }> {
  const { rows } = await client.query<SetAsideOutboxRow & { count: string }>(
    `select id::text as id, source, event_id as "eventId", type, attempts,
            set_aside_at as "setAsideAt", set_aside_reason as reason,
            count(*) over () as count
     from feed_outbox where set_aside_at is not null and sent_at is null
     order by id limit $1`,
    [limit],
  );
  const count = rows.length === 0 ? await countSetAside(client) : Number(rows[0]!.count);
  return { count, rows: rows.map(({ count: _count, ...row }) => row) };
}

async function countSetAside(client: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    'select count(*) as n from feed_outbox where set_aside_at is not null and sent_at is null',
  );
  return Number(rows[0]!.n);
}
