import type pg from 'pg';

/** Marks rows the broker confirmed, in the transaction that locked them. */
export async function markOutboxSent(
  client: Pick<pg.ClientBase, 'query'>,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await client.query(
    `update feed_outbox set sent_at = now(), attempts = attempts + 1, last_error = null
     where id = any($1::bigint[])`,
    [ids],
  );
}
