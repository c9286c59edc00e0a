import type { Position, Queryable } from '@feed/store';
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
   * `below`: the read holds only what is older than this position (a page's cursor). When the
   * live feed has already read a horizon above it, that horizon is passed: every event below
   * the cursor is below it too, so the answer is the same as with the current horizon, and
   * PostgreSQL does not compute one (feed_visible_horizon() reads pg_locks, the largest cost of
   * a page read after the rows themselves).
   */
  async reader(below?: Position): Promise<Reader> {
    const { primary, replica, liveFeed, metrics } = this.options;
    const visibility = liveFeed.visibility;
    if (replica === undefined) {
      const known =
        below !== undefined &&
        visibility !== undefined &&
        BigInt(below.xid) < BigInt(visibility.horizon)
          ? visibility.horizon
          : undefined;
      return { client: primary, horizon: known, replica: false };
    }
    if (visibility !== undefined) {
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
    return { client: primary, horizon: undefined, replica: false };
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
