import { horizonAbove, type Position, type Queryable } from '@feed/store';
import type { LiveFeed } from './liveFeed.js';
import type { ServiceMetrics } from './plugins/metrics.js';

/** Where one read goes, and the horizon it reads below (undefined: the primary's own). */
export interface Reader {
  client: Queryable;
  horizon: string | undefined;
  replica: boolean;
}

export interface ReadRouterOptions {
  primary: Queryable;
  /** A streaming standby (DATABASE_READ_URL), or none. */
  replica: Queryable | undefined;
  liveFeed: LiveFeed;
  metrics: ServiceMetrics;
}

/** A WAL position (`16/B374D848`) as a number that compares. */
function lsnValue(lsn: string): bigint {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * Sends reads to the read replica when one is configured and has caught up. A standby cannot
 * compute the horizon (the feed's writers' locks live on the primary) and cannot LISTEN, so a
 * replica read uses what the live feed last read on the primary: its horizon, and the WAL
 * position at that moment. Once the standby has replayed that far it holds every event below
 * that horizon, so it shows exactly what the streams have shown, never a cursor they have not
 * reached. A standby behind that position, or unreachable, is passed over: the read goes to
 * the primary (counted, and said in /readyz).
 */
export class ReadRouter {
  /** The standby's replay position last seen: it only grows. */
  private replayed = 0n;
  private lagBytes: bigint | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: ReadRouterOptions) {}

  /**
   * `below`: the read holds only what is older than this position (a page's cursor). Every
   * event below a cursor the feed handed out is final: the cursor's event was visible, so every
   * transaction that could write at or below it had ended. Such a read needs no horizon of its
   * own: it reads below the live feed's horizon or just above the cursor, whichever is higher
   * (the same rows as the current horizon, and PostgreSQL computes none: feed_visible_horizon()
   * reads pg_locks, the largest cost of a page read after the rows themselves). A horizon
   * computed for each page could also come out lower than the previous page's (a transaction
   * elsewhere that ended while it was computed counts as a writer for that moment), and the
   * events between the two would be skipped by a walk. A standby serves a read only below
   * the horizon it has replayed, so a cursor above the live feed's goes to the primary.
   */
  async reader(below?: Position): Promise<Reader> {
    const { primary, replica, liveFeed, metrics } = this.options;
    const visibility = liveFeed.visibility;
    const known = visibility === undefined ? undefined : BigInt(visibility.horizon);
    const floor = below === undefined ? undefined : BigInt(horizonAbove(below));
    const onPrimary = (): Reader => ({
      client: primary,
      horizon:
        floor === undefined
          ? undefined
          : String(known !== undefined && known > floor ? known : floor),
      replica: false,
    });
    if (replica === undefined) return onPrimary();
    if (visibility !== undefined && (floor === undefined || floor <= known!)) {
      const needed = lsnValue(visibility.lsn);
      if (this.replayed < needed) await this.checkReplica();
      if (this.replayed >= needed) {
        this.lagBytes = 0n;
        metrics.replicaReads.inc();
        return { client: replica, horizon: visibility.horizon, replica: true };
      }
      this.lagBytes = needed - this.replayed;
    }
    metrics.replicaFallbacks.inc();
    return onPrimary();
  }

  /** For /readyz: the replica's state, or undefined without one. */
  status(): string | undefined {
    if (this.options.replica === undefined) return undefined;
    if (this.lastError !== undefined)
      return `unreachable (${this.lastError}): reading from the primary`;
    if (this.lagBytes === undefined) return 'not used yet';
    return this.lagBytes === 0n
      ? 'caught up'
      : `${this.lagBytes} bytes of WAL behind: reading from the primary`;
  }

  private async checkReplica(): Promise<void> {
    try {
      const { rows } = await this.options.replica!.query<{ lsn: string | null }>(
        'select pg_last_wal_replay_lsn()::text as lsn',
      );
      this.lastError = undefined;
      const lsn = rows[0]?.lsn;
      if (lsn !== null && lsn !== undefined) {
        const value = lsnValue(lsn);
        if (value > this.replayed) this.replayed = value;
      }
    } catch (error) {
      this.lastError = (error as Error).message;
    }
  }
}
