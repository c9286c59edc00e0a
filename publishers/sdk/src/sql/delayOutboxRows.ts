import type pg from 'pg';

export interface OutboxRetry {
  id: string;
  delayMs: number;
  error: string;
  /** The failure will not pass by itself: it counts toward setting the row aside. */
  permanent: boolean;
}

/** Puts rows the broker did not confirm back, to be tried again after their delay. */
export async function delayOutboxRows(
  client: Pick<pg.ClientBase, 'query'>,
  retries: readonly OutboxRetry[],
): Promise<void> {
  if (retries.length === 0) return;
  await client.query(
    `update feed_outbox o
     set attempts = o.attempts + 1,
         permanent_failures = o.permanent_failures + case when r.permanent then 1 else 0 end,
         next_attempt_at = now() + make_interval(secs => r.delay_ms / 1000.0),
         last_error = r.error
     from unnest($1::bigint[], $2::float8[], $3::text[], $4::boolean[])
       as r(id, delay_ms, error, permanent)
     where o.id = r.id`,
    [
      retries.map((r) => r.id),
      retries.map((r) => r.delayMs),
      retries.map((r) => r.error),
      retries.map((r) => r.permanent),
    ],
  );
}
