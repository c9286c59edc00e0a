import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { connectLoop, type BackoffOptions } from '@feed/contracts';
import { endConnection, pingEvery } from './connectionPing.js';
import {
  feedStart,
  itemPosition,
  listEvents,
  notifyFeedChanged,
  readFeedPagesAfter,
  FEED_EVENTS_CHANNEL,
  type Position,
  type FeedItem,
  type Queryable,
  type Visibility,
} from '@feed/store';

export type ItemsListener = (items: readonly FeedItem[]) => void;

/** What the routes need of the live feed; tests may hand buildApp another one. */
export interface LiveFeed {
  /** True while the LISTEN connection is up and the feed has caught up once. */
  readonly listening: boolean;
  /** Position of the last item handed to subscribers (or the feed's head when it started). */
  readonly lastPosition: Position;
  /**
   * Every item that became visible, in the feed's order, once per process: new events and
   * changes to events (reaction counts, removals).
   */
  subscribe(listener: ItemsListener): () => void;
  /** Called after a read that delivered something: caches drop what they hold. */
  onChange(listener: () => void): () => void;
  /**
   * The horizon and the primary's WAL position of the last read, while listening: a standby
   * replayed that far may serve reads below that horizon (see ReadRouter).
   */
  readonly visibility: Visibility | undefined;
  /** Tells every replica that the feed changed (after a hide or an erasure committed). */
  announceChange(): Promise<void>;
  close(): Promise<void>;
}

export interface LiveFeedOptions {
  connectionString: string;
  /** Where the catch-up reads run; the LISTEN connection only listens. */
  pool: Queryable;
  logger: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Reconnect delays of the LISTEN connection. Default 250 ms growing to 10 s. */
  reconnect?: BackoffOptions;
  /** Rows per read, so per fan-out: a bounded burst for every client. Default 100. */
  batchSize?: number;
  /** How often to look again without a NOTIFY, ms. Default 1000. */
  pollIntervalMs?: number;
  /** How soon to look again while a writer holds the horizon, ms. Default 50. */
  heldRetryMs?: number;
  /**
   * A query on the LISTEN connection this often, answered within `pingTimeoutMs` or the
   * connection is dropped and opened again: a dead or frozen socket is noticed within both
   * (4 s by default, inside the 5 s /readyz promises). Defaults 2000 and 2000 ms.
   */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
}

/**
 * One dedicated connection per process LISTENs on `feed_events`; each NOTIFY triggers one
 * read of what became visible after the last position seen, fanned out to every subscriber.
 * All replicas see every change, and the database serves one read per change per replica,
 * however many clients are connected. Reads stop at the visibility horizon, below which
 * nothing can still appear (see the store's 003_concurrent_writes), so reading on from the
 * last position never skips or repeats. While the horizon is held by a writer still at work,
 * and every second regardless, it looks again: a NOTIFY lost (while disconnected, or to a
 * writer that died right after its commit) costs delay, never an event.
 */
export class PgLiveFeed implements LiveFeed {
  private readonly options: Required<Omit<LiveFeedOptions, 'logger' | 'pool'>> &
    Pick<LiveFeedOptions, 'logger' | 'pool'>;
  private readonly listeners = new Set<ItemsListener>();
  private readonly changeListeners = new Set<() => void>();
  private position: Position = feedStart;
  private lastVisibility: Visibility | undefined;
  private horizonHeld = false;
  private ready = false;
  /** Listened at least once: the head was read, and later listens catch up from `position`. */
  private listened = false;
  /** Aborted by close(): ends the connect loop, its sleep and the connection it waits on. */
  private readonly closing = new AbortController();
  private reading = false;
  private readAgain = false;
  /** Items were fanned out and the change listeners (the caches) not yet told. */
  private deliveredUntold = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private started: Promise<void> | undefined;

  constructor(options: LiveFeedOptions) {
    this.options = {
      reconnect: { minMs: 250, maxMs: 10_000 },
      batchSize: 100,
      pingIntervalMs: 2000,
      pingTimeoutMs: 2000,
      pollIntervalMs: 1000,
      heldRetryMs: 50,
      ...options,
    };
  }

  get listening(): boolean {
    return this.ready;
  }

  get lastPosition(): Position {
    return this.position;
  }

  get visibility(): Visibility | undefined {
    return this.ready ? this.lastVisibility : undefined;
  }

  /** Resolves once listening for the first time (or when closed first). */
  start(): Promise<void> {
    this.started ??= new Promise<void>((resolve) => {
      this.loop = connectLoop({
        name: 'live feed',
        signal: this.closing.signal,
        minMs: this.options.reconnect.minMs,
        maxMs: this.options.reconnect.maxMs,
        logger: this.options.logger,
        connection: (_attempt, healthy) =>
          this.listen(() => {
            healthy();
            resolve();
          }),
      }).finally(resolve);
    });
    return this.started;
  }

  subscribe(listener: ItemsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async announceChange(): Promise<void> {
    await notifyFeedChanged(this.options.pool);
  }

  async close(): Promise<void> {
    this.closing.abort();
    clearTimeout(this.retryTimer);
    clearTimeout(this.heldTimer);
    await this.loop;
  }

  /**
   * One life of the LISTEN connection, run by the shared connect loop: connect, LISTEN, catch
   * up, and return once the connection is lost or the feed closes; the loop waits and calls
   * it again, so an outage of any length stays flat.
   */
  private async listen(onListening: () => void): Promise<void> {
    const { logger } = this.options;
    const { signal } = this.closing;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: 'feed-service-listen',
      keepAlive: true,
      // A database that accepts the socket and never answers is a failed attempt, retried.
      connectionTimeoutMillis: 5000,
    });
    let onClose!: () => void;
    let onStall!: (reason: string) => void;
    let stalled = false;
    const lost = new Promise<string>((resolve) => {
      client.on('error', (error) => resolve(`error: ${error.message}`));
      client.on('end', () => resolve('connection ended'));
      onClose = () => resolve('closing');
      onStall = (reason) => {
        stalled = true;
        resolve(reason);
      };
    });
    signal.addEventListener('abort', onClose);
    let stopPings = () => {};
    let poll: NodeJS.Timeout | undefined;
    try {
      await client.connect();
      client.on('notification', () => void this.readNew());
      await client.query(`listen ${FEED_EVENTS_CHANNEL}`);
      if (!this.listened) {
        // The head as it is now: the stream serves what becomes visible from here on.
        const [head] = await listEvents(this.options.pool, { limit: 1 });
        this.position = head === undefined ? feedStart : { xid: head.xid, seq: head.seq };
      }
      stopPings = pingEvery(
        client,
        this.options.pingIntervalMs,
        this.options.pingTimeoutMs,
        onStall,
      );
      poll = setInterval(() => void this.readNew(), this.options.pollIntervalMs);
      poll.unref();
      // Whatever was stored while we were not listening.
      await this.readNew();
      this.ready = true;
      // Caches filled before this connection listened (the head read at start, or anything
      // read while it was down) may miss a change whose NOTIFY nobody heard: read again.
      for (const listener of this.changeListeners) listener();
      logger.info(
        { position: this.position },
        this.listened ? 'live feed listening again' : 'live feed listening',
      );
      this.listened = true;
      onListening();
      const reason = await lost;
      if (!signal.aborted) logger.warn({ reason }, 'live feed connection lost');
    } finally {
      // Nothing of this connection outlives it: a long outage leaves no listener behind.
      signal.removeEventListener('abort', onClose);
      stopPings();
      clearInterval(poll);
      this.ready = false;
      client.removeAllListeners('notification');
      await endConnection(client, stalled);
    }
  }

  /**
   * Reads everything visible after `position` and fans it out. Calls that arrive while a read
   * is running set a flag instead of reading in parallel: one read per burst of NOTIFYs.
   */
  private async readNew(): Promise<void> {
    if (this.closing.signal.aborted) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        // A look yields at least its first page, so it always says its visibility.
        let visibility!: Visibility;
        for await (const page of readFeedPagesAfter(this.options.pool, {
          after: this.position,
          limit: this.options.batchSize,
        })) {
          visibility = page.visibility;
          const { items } = page;
          if (items.length === 0) continue;
          const last = itemPosition(items.at(-1)!);
          this.position = { xid: last.xid, seq: last.seq };
          this.deliveredUntold = true;
          this.fanOut(items);
        }
        this.horizonHeld = visibility.held;
        // What was delivered is below this horizon: a read below it shows no more than the
        // streams have, and no less once caught up to this WAL position.
        this.lastVisibility = visibility;
        // Only what changed the feed empties caches: the second's look and the held retries
        // that find nothing leave them be. Items delivered by a read that then failed are told
        // by the next read that succeeds.
        if (this.deliveredUntold) {
          this.deliveredUntold = false;
          for (const listener of this.changeListeners) listener();
        }
      } while (this.readAgain && !this.closing.signal.aborted);
    } catch (error) {
      // The pool is down: read again later; the events stay in the table.
      if (this.closing.signal.aborted) return;
      this.options.logger.warn({ err: error }, 'live feed read failed; retrying');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.readNew(), 1000);
      this.retryTimer.unref();
    } finally {
      this.reading = false;
      // A writer still at work holds the horizon: what it commits is read soon after.
      if (this.horizonHeld && this.heldTimer === undefined && !this.closing.signal.aborted) {
        this.heldTimer = setTimeout(() => {
          this.heldTimer = undefined;
          void this.readNew();
        }, this.options.heldRetryMs);
        this.heldTimer.unref();
      }
    }
  }

  private fanOut(items: readonly FeedItem[]): void {
    for (const listener of this.listeners) {
      try {
        listener(items);
      } catch (error) {
        this.options.logger.error({ err: error }, 'live feed subscriber failed');
      }
    }
  }
}
