import { EventEmitter } from 'node:events';
import type { FeedEvent } from '@feed/contracts';
import type pg from 'pg';
import { silentLogger, type PublisherLogger } from './logger.js';
import { OUTBOX_CHANNEL } from './outboxMigration.js';
import { outboxOutcome } from './outboxOutcome.js';
import { assertPgObject } from './pgArgument.js';
import type { PublishInput } from './buildMessage.js';
import { claimOutboxBatch } from './sql/claimOutboxBatch.js';
import { delayOutboxRows } from './sql/delayOutboxRows.js';
import { deleteSentOutboxRows } from './sql/deleteSentOutboxRows.js';
import { markOutboxSent } from './sql/markOutboxSent.js';
import { listSetAsideOutboxRows } from './sql/retryOutboxRows.js';
import { setAsideOutboxRows } from './sql/setAsideOutboxRows.js';

export interface OutboxRelayOptions {
  pool: pg.Pool;
  /** What the relay publishes with: anything with the SDK publisher's `publish`. */
  publisher: { publish(events: PublishInput): Promise<FeedEvent[]> };
  /** Most rows per transaction. Default 200. */
  batchSize?: number;
  /** Polling fallback when no NOTIFY arrives (a lost listener, a missed signal). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Retry backoff of a row the broker did not confirm. Default 500 ms … 60 000 ms. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * Times a row may fail for good (its event cannot be published as stored) before it is set
   * aside and the later rows of its source go on without it. Default 3. A broker outage never
   * counts.
   */
  maxPermanentFailures?: number;
  /** Sent rows older than this are deleted. Default 24 h; 0 keeps them. */
  retainSentMs?: number;
  logger?: PublisherLogger;
}

export interface OutboxRelayStats {
  batches: number;
  sent: number;
  retried: number;
  failedBatches: number;
  /** Rows this relay set aside. */
  setAside: number;
  /** Rows set aside in the table (by any relay, not yet retried), at the last count. */
  setAsideWaiting: number;
}

export interface OutboxRelay {
  /** Publishes everything pending now; resolves with the number of rows sent. */
  drain(): Promise<number>;
  /** Stops listening and polling, waits for the batch in hand. */
  stop(): Promise<void>;
  stats(): OutboxRelayStats;
  on(event: 'batch', listener: (sent: number, retried: number, setAside: number) => void): this;
}

/**
 * Publishes committed outbox rows: woken by NOTIFY from `enqueue`, and by a poll in case a
 * signal was missed. Each batch is locked, published with confirms and marked sent in one
 * transaction. A relay killed after the broker confirmed and before its commit leaves the
 * rows pending: the next batch publishes them again with the same ids, which the feed stores
 * once. Any number of relays may run against one table.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  assertPgObject(options.pool, 'startOutboxRelay({ pool })', 'a pg Pool');
  return new Relay(options);
}

class Relay extends EventEmitter implements OutboxRelay {
  private readonly pool: pg.Pool;
  private readonly log: PublisherLogger;
  private readonly batchSize: number;
  private readonly counters: OutboxRelayStats = {
    batches: 0,
    sent: 0,
    retried: 0,
    failedBatches: 0,
    setAside: 0,
    setAsideWaiting: 0,
  };
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = false;
  private listener: pg.PoolClient | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private readonly poll: NodeJS.Timeout;
  private lastCleanup = 0;
  private lastCount = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    super();
    this.pool = options.pool;
    this.log = options.logger ?? silentLogger;
    this.batchSize = options.batchSize ?? 200;
    this.poll = setInterval(() => this.kick(), options.pollIntervalMs ?? 1000);
    void this.listen();
    this.kick();
  }

  stats(): OutboxRelayStats {
    return { ...this.counters };
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  drain(): Promise<number> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.drainNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drainNow(): Promise<number> {
    let total = 0;
    do {
      this.again = false;
      for (;;) {
        if (this.stopped) return total;
        let result: { claimed: number; sent: number };
        try {
          result = await this.relayBatch();
        } catch (error) {
          // The database is down or the transaction broke: its rows stay pending and the next
          // poll tries again.
          this.counters.failedBatches += 1;
          this.log.warn({ err: error }, 'outbox relay: batch failed, rows stay pending');
          return total;
        }
        total += result.sent;
        if (result.claimed < this.batchSize) break;
      }
    } while (this.again && !this.stopped);
    await this.cleanup();
    await this.countSetAside();
    return total;
  }

  /** Refreshes `setAsideWaiting` once a minute, and after this relay set rows aside. */
  private async countSetAside(): Promise<void> {
    if (Date.now() - this.lastCount < 60_000) return;
    this.lastCount = Date.now();
    try {
      this.counters.setAsideWaiting = (await listSetAsideOutboxRows(this.pool, 0)).count;
    } catch (error) {
      this.log.warn({ err: error }, 'outbox relay: counting set-aside rows failed');
    }
  }

  private async relayBatch(): Promise<{ claimed: number; sent: number }> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost while the batch waits for confirms is reported here, not thrown: the
    // next query fails and the batch rolls back.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('begin');
      const rows = await claimOutboxBatch(client, this.batchSize);
      if (rows.length === 0) {
        await client.query('commit');
        return { claimed: 0, sent: 0 };
      }
      // Published together (pipelined on one channel, so in order), confirmed one by one.
      const results = await Promise.allSettled(
        rows.map((row) => this.options.publisher.publish(toInput(row.event))),
      );
      const outcome = outboxOutcome(rows, results, {
        minMs: this.options.retryMinMs ?? 500,
        maxMs: this.options.retryMaxMs ?? 60_000,
        maxPermanentFailures: this.options.maxPermanentFailures ?? 3,
      });
      await markOutboxSent(client, outcome.sent);
      await delayOutboxRows(client, outcome.retries);
      await setAsideOutboxRows(client, outcome.setAside);
      await client.query('commit');
      this.counters.batches += 1;
      this.counters.sent += outcome.sent.length;
      this.counters.retried += outcome.retries.length;
      this.counters.setAside += outcome.setAside.length;
      for (const { id, reason } of outcome.setAside) {
        const row = rows.find((candidate) => candidate.id === id)!;
        this.log.error(
          { outboxId: id, source: row.source, eventId: row.event.id, reason },
          'outbox relay: row set aside, it cannot be published as it is; later rows of its source go on without it',
        );
      }
      if (outcome.setAside.length > 0) this.lastCount = 0;
      if (outcome.retries.length > 0)
        this.log.warn(
          { retried: outcome.retries.length, error: outcome.retries[0]!.error },
          'outbox relay: some rows were not confirmed, retrying later',
        );
      this.emit('batch', outcome.sent.length, outcome.retries.length, outcome.setAside.length);
      return { claimed: rows.length, sent: outcome.sent.length };
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async cleanup(): Promise<void> {
    const retain = this.options.retainSentMs ?? 24 * 3600_000;
    if (retain === 0 || Date.now() - this.lastCleanup < 60_000) return;
    this.lastCleanup = Date.now();
    try {
      await deleteSentOutboxRows(this.pool, retain);
    } catch (error) {
      this.log.warn({ err: error }, 'outbox relay: deleting old sent rows failed');
    }
  }

  /** A dedicated connection for LISTEN; lost, it is opened again while polling covers. */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const onLost = (error?: Error) => {
        if (this.listener !== client) return;
        this.listener = undefined;
        client!.release(error ?? new Error('listener connection ended'));
        if (!this.stopped) {
          this.log.warn({ err: error }, 'outbox relay: LISTEN connection lost, polling meanwhile');
          this.listenerRetry = setTimeout(() => void this.listen(), 1000);
        }
      };
      client.on('notification', () => this.kick());
      client.on('error', onLost);
      client.on('end', () => onLost());
      this.listener = client;
      await client.query(`listen ${OUTBOX_CHANNEL}`);
      if (this.stopped) await this.releaseListener();
    } catch (error) {
      if (client !== undefined && this.listener === client) {
        this.listener = undefined;
        client.release(error as Error);
      }
      if (!this.stopped) {
        this.log.warn({ err: error }, 'outbox relay: LISTEN failed, polling meanwhile');
        this.listenerRetry = setTimeout(() => void this.listen(), 1000);
      }
    }
  }

  private async releaseListener(): Promise<void> {
    const client = this.listener;
    this.listener = undefined;
    if (client === undefined) return;
    try {
      await client.query(`unlisten ${OUTBOX_CHANNEL}`);
      client.release();
    } catch (error) {
      client.release(error as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.listenerRetry);
    await this.running?.catch(() => {});
    await this.releaseListener();
  }
}

function toInput(event: FeedEvent): PublishInput {
  const input: PublishInput = {
    id: event.id,
    source: event.source,
    type: event.type,
    time: event.time,
    data: event.data,
  };
  if (event.subject !== undefined)
    input.subject =
      event.subjectName === undefined
        ? event.subject
        : { id: event.subject, name: event.subjectName };
  if (event.actor !== undefined)
    input.actor =
      event.actorName === undefined ? event.actor : { id: event.actor, name: event.actorName };
  if (event.extensions !== undefined) input.extensions = event.extensions;
  return input;
}
