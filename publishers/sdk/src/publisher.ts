import { EventEmitter } from 'node:events';
import { FeedError, FeedErrorCode, type FeedEvent } from '@feed/contracts';
import { BrokerConnection } from './brokerConnection.js';
import { buildMessages, type FeedMessage, type PublishInput } from './buildMessage.js';
import {
  resolvePublisherOptions,
  type FeedPublisherOptions,
  type ResolvedPublisherOptions,
} from './options.js';
import { PublishBatchError } from './publishBatchError.js';
import { PublishBuffer } from './publishBuffer.js';

/**
 * - `connecting`: no connection yet, or reconnecting after a loss (publishes are buffered)
 * - `connected`: publishing
 * - `blocked`: the broker blocked the connection (memory or disk alarm); nothing is sent
 * - `failed`: a fault no reconnect can cure (the topology differs); every publish rejects
 * - `closing`, `closed`: after `close()`
 */
export type PublisherState =
  'connecting' | 'connected' | 'blocked' | 'failed' | 'closing' | 'closed';

export interface PublisherStats {
  state: PublisherState;
  /** Messages held: waiting plus sent and unconfirmed. Never above `maxBuffered`. */
  buffered: number;
  waiting: number;
  inFlight: number;
  published: number;
  confirmed: number;
  rejected: number;
  /** Messages sent again on a new channel after theirs was lost unconfirmed. */
  resent: number;
  /** Messages sent again after a basic.nack (each retry counts). */
  retried: number;
  /** Publishes waiting for room in the full buffer while the broker answers. */
  waitingForRoom: number;
  reconnects: number;
  blockedReason: string | undefined;
}

export interface CloseOptions {
  /** How long to wait for the messages in flight. Default: the publisher's `closeTimeoutMs`. */
  timeoutMs?: number;
}

export interface FeedPublisher {
  /**
   * Publishes one event, or an array of events (one message each). Resolves with the events as
   * the feed stores them once the broker confirmed every message; rejects with a FeedError
   * (`FEED_PUBLISH_*`) otherwise. Never pending beyond `publishTimeoutMs`.
   */
  publish(events: PublishInput | readonly PublishInput[]): Promise<FeedEvent[]>;
  /** Stops taking publishes, waits for those in flight up to the deadline, closes. */
  close(options?: CloseOptions): Promise<void>;
  readonly state: PublisherState;
  stats(): PublisherStats;
  on(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
  on(event: 'blocked', listener: (reason: string) => void): this;
  on(event: 'unblocked', listener: () => void): this;
  off(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
  off(event: 'blocked', listener: (reason: string) => void): this;
  off(event: 'unblocked', listener: () => void): this;
}

export function createFeedPublisher(options: FeedPublisherOptions): FeedPublisher {
  return new Publisher(resolvePublisherOptions(options));
}

/**
 * The publisher as its users see it: its state and events, `publish` and `close`. The bounded
 * buffer (`PublishBuffer`) holds every message until it settles, the confirm channel
 * (`PublishChannel`) sends it and matches its confirm, and the connection (`BrokerConnection`)
 * keeps a channel open across broker outages.
 */
class Publisher extends EventEmitter implements FeedPublisher {
  private currentState: PublisherState = 'connecting';
  private readonly buffer: PublishBuffer;
  private readonly connection: BrokerConnection;
  private failure: FeedError | undefined;
  /** close() was called: new publishes are refused, buffered ones still go out. */
  private closing = false;
  private closePromise: Promise<void> | undefined;

  constructor(private readonly options: ResolvedPublisherOptions) {
    super();
    this.buffer = new PublishBuffer({
      maxBuffered: options.maxBuffered,
      publishTimeoutMs: options.publishTimeoutMs,
      condition: () => this.connection.condition(),
      onRetryDue: () => this.connection.pump(),
      // The broker answers (nacks, late confirms): room will be made, so a publish waits.
      // Unreachable or blocked: waiting would only hold more, so it is refused at once.
      waitForRoom: () => this.connection.hasChannel && this.connection.blocked === undefined,
    });
    this.connection = new BrokerConnection(options, this.buffer, {
      channelOpen: () => {
        if (!this.closing)
          this.setState(this.connection.blocked === undefined ? 'connected' : 'blocked');
      },
      channelLost: () => {
        if (!this.closing) this.setState('connecting');
      },
      blocked: (reason) => {
        this.options.logger.warn({ reason }, 'feed publisher: the broker blocked the connection');
        if (!this.closing) this.setState('blocked');
        this.emit('blocked', reason);
      },
      unblocked: () => {
        this.options.logger.info({}, 'feed publisher: the broker unblocked the connection');
        if (this.connection.hasChannel && !this.closing) this.setState('connected');
        this.emit('unblocked');
      },
      failed: (error) => this.fail(error),
    });
  }

  get state(): PublisherState {
    return this.currentState;
  }

  stats(): PublisherStats {
    const { counters } = this.buffer;
    return {
      state: this.currentState,
      buffered: this.buffer.size,
      waiting: this.buffer.waitingCount,
      inFlight: this.connection.inFlight,
      published: counters.published,
      confirmed: counters.confirmed,
      rejected: counters.rejected,
      resent: counters.resent,
      retried: counters.retried,
      waitingForRoom: this.buffer.waitingForRoom,
      reconnects: this.connection.reconnects,
      blockedReason: this.connection.blocked,
    };
  }

  publish(events: PublishInput | readonly PublishInput[]): Promise<FeedEvent[]> {
    try {
      return this.publishNow(events);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private publishNow(events: PublishInput | readonly PublishInput[]): Promise<FeedEvent[]> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closing)
      throw new FeedError(FeedErrorCode.PublishClosed, 'the publisher is closed: publish refused');
    // Checked before building anything: during an outage a refused publish costs nothing.
    this.buffer.checkRoom(Array.isArray(events) ? events.length : 1);
    const messages = buildMessages(events, { source: this.options.source });
    if (messages.length === 1) return this.publishOne(messages[0]!);
    const sends = messages.map((message) => {
      let resolve!: (event: FeedEvent) => void;
      let reject!: (error: FeedError) => void;
      const sent = new Promise<FeedEvent>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { message, sent, resolve, reject };
    });
    this.buffer.enter(
      messages.length,
      () => {
        for (const { message, resolve, reject } of sends)
          this.buffer.add(message, () => resolve(message.event), reject);
        this.connection.pump();
      },
      (error) => sends.forEach(({ reject }) => reject(error)),
    );
    return Promise.allSettled(sends.map(({ sent }) => sent)).then((results) => {
      if (results.every((result) => result.status === 'fulfilled'))
        return results.map((result) => (result as PromiseFulfilledResult<FeedEvent>).value);
      throw new PublishBatchError(messages, results);
    });
  }

  /** One message, the usual publish: one promise, settled with the stored form. */
  private publishOne(message: FeedMessage): Promise<FeedEvent[]> {
    return new Promise((resolve, reject) => {
      this.buffer.enter(
        1,
        () => {
          this.buffer.add(message, () => resolve([message.event]), reject);
          this.connection.pump();
        },
        reject,
      );
    });
  }

  private setState(next: PublisherState): void {
    const previous = this.currentState;
    if (previous === next || previous === 'closed') return;
    this.currentState = next;
    this.emit('state', next, previous);
  }

  /** The topology differs from ours: no reconnect can cure it, so say so and stop. */
  private fail(error: FeedError): void {
    this.failure = error;
    this.options.logger.error({ err: error }, 'feed publisher: topology mismatch, stopped');
    this.buffer.rejectAll(error);
    this.setState('failed');
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closePromise ??= this.closeNow(options.timeoutMs ?? this.options.closeTimeoutMs);
    return this.closePromise;
  }

  private async closeNow(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.closing = true;
    this.setState('closing');
    await this.buffer.idle(timeoutMs);
    if (this.buffer.size > 0)
      this.buffer.rejectAll(
        new FeedError(
          FeedErrorCode.PublishClosed,
          `the publisher closed before the broker confirmed (deadline ${timeoutMs} ms, ${this.connection.condition()}); ` +
            'a message already sent may still reach the feed',
        ),
      );
    this.buffer.stop();
    await this.connection.close(Math.max(deadline - Date.now(), 1000));
    this.setState('closed');
  }
}
