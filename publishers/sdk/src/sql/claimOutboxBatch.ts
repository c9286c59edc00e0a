import type { FeedEvent } from '@feed/contracts';
import type pg from 'pg';

export interface OutboxRow {
  id: string;
  source: string;
  attempts: number;
  /** Failures that will not pass by themselves (the event cannot be published as it is). */
  permanentFailures: number;
  event: FeedEvent;
}

/** Namespace of the per-source advisory locks (first key of the two-key form). */
export const OUTBOX_SOURCE_LOCK = 7_201_102;

/**
 * Locks and returns the next rows to publish, oldest first. Whole sources are taken: a
 * transaction-scoped advisory lock per source means no other relay publishes rows of a source
 * while this one holds some, so each source goes out in order however many relays run. A
 * source whose oldest pending row waits for a retry is skipped whole, so no later row of it
 * overtakes the one that failed. A set-aside row is not pending: the rows after it go out.
 * `skip locked` leaves rows to whoever already locked them.
 */
export async function claimOutboxBatch(
  client: Pick<pg.ClientBase, 'query'>,
  limit: number,
): Promise<OutboxRow[]> {
  const { rows } = await client.query<OutboxRow>(
    `with heads as (
       select distinct on (source) source, next_attempt_at
       from feed_outbox
       where sent_at is null and set_aside_at is null
       order by source, id
     ),
     locked as materialized (
       select source from heads
       where next_attempt_at <= now() and pg_try_advisory_xact_lock($2, hashtext(source))
     )
     select o.id::text as id, o.source, o.attempts,
            o.permanent_failures as "permanentFailures", o.event
     from feed_outbox o
     where o.sent_at is null and o.set_aside_at is null
       and o.source in (select source from locked)
     order by o.id
     limit $1
     for update of o skip locked`,
    [limit, OUTBOX_SOURCE_LOCK],
  );
  return rows;
}
