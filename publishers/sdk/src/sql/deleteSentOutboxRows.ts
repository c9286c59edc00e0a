import type pg from 'pg';

/** Removes rows sent longer ago than the retention; returns how many. */
export async function deleteSentOutboxRows(
  client: Pick<pg.ClientBase, 'query'>,
  olderThanMs: number,
): Promise<number> {
  const { rowCount } = await client.query(
    `delete from feed_outbox
     where sent_at is not null and sent_at < now() - make_interval(secs => $1 / 1000.0)`,
    [olderThanMs],
  );
  return rowCount ?? 0;
}
