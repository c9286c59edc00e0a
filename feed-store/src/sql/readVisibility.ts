import type { Queryable } from '../pool.js';

export interface Visibility {
  /**
   * Readers see the events whose transaction id is below it (see 003_concurrent_writes). It
   * only grows, and a horizon read once stays safe to read below later: a stale one costs
   * delay, never a gap.
   */
  horizon: string;
  /** A transaction still writing the feed holds it back: look again soon. */
  held: boolean;
  /**
   * The primary's WAL position when the horizon was read: a standby that has replayed this far
   * holds every event below the horizon, and may serve reads below it.
   */
  lsn: string;
}

/** On the primary only (a standby has neither the feed's writers' locks nor a WAL position). */
export async function readVisibility(client: Queryable): Promise<Visibility> {
  const { rows } = await client.query<Visibility>(
    `select h::text as horizon, h < pg_snapshot_xmax(pg_current_snapshot()) as held,
            pg_current_wal_lsn()::text as lsn
       from feed_visible_horizon() as h`,
  );
  return rows[0]!;
}

/** The oldest transaction writing the feed now, which holds back what readers see. */
export interface FeedWriter {
  pid: number;
  applicationName: string;
  state: string;
  ageSeconds: number;
}

export async function oldestFeedWriter(client: Queryable): Promise<FeedWriter | null> {
  const { rows } = await client.query<FeedWriter>(
    `select a.pid, a.application_name as "applicationName", coalesce(a.state, '') as state,
            extract(epoch from now() - a.xact_start)::float8 as "ageSeconds"
       from pg_locks rel
       join pg_stat_activity a on a.pid = rel.pid
      where rel.locktype = 'relation' and rel.mode = 'RowExclusiveLock' and rel.granted
        and rel.relation = 'feed_events'::regclass
        and rel.database = (select oid from pg_database where datname = current_database())
        and a.backend_xid is not null
      order by a.xact_start
      limit 1`,
  );
  return rows[0] ?? null;
}
