import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import {
  FeedError,
  FeedErrorCode,
  PRECONDITION_FAILED,
  backoffDelay,
  declareTopology,
  describeTopologyMismatch,
  redactUrl,
  urlForAttempt,
  type FeedEvent,
} from '@feed/contracts';
import { buildMessages, type FeedMessage, type PublishInput } from './buildMessage.js';
import {
  resolvePublisherOptions,
  type FeedPublisherOptions,
  type ResolvedPublisherOptions,
} from './options.js';
import { PendingQueue } from './pendingQueue.js';
import { PublishBatchError } from './publishBatchError.js';
import { withHeartbeat } from './withHeartbeat.js';

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

interface Pending {
  seq: number;
  message: FeedMessage;
  settled: boolean;
  /** The channel it is in flight on, if sent. */
  sentOn: ChannelSession | undefined;
  /** Set by a basic.return: the broker routed it nowhere; its confirm follows. */
  returned: string | undefined;
  /** Date.now() past which it rejects with FEED_PUBLISH_TIMEOUT. */
  deadline: number;
  resolve(): void;
  reject(error: FeedError): void;
}

interface ChannelSession {
  channel: ConfirmChannel;
  inFlight: Map<number, Pending>;
  /** Waiting for 'drain': amqplib's write buffer is full. */
  paused: boolean;
  /** Set when the server closed the channel for a reason a resend cannot cure. */
  failure: FeedError | undefined;
}

class Publisher extends EventEmitter implements FeedPublisher {
  private currentState: PublisherState = 'connecting';
  private readonly waiting = new PendingQueue<Pending>();
  /** In flight on a lost channel: sent again first on the next one. */
  private retry: Pending[] = [];
  private session: ChannelSession | undefined;
  private connection: ChannelModel | undefined;
  private seq = 0;
  /** Unsettled publishes in publish order, which is also the order of their deadlines. */
  private readonly timeline = new Map<number, Pending>();
  private timeoutTimer: NodeJS.Timeout | undefined;
  private unsettled = 0;
  /** Timed out while in flight: still referenced until the channel answers or closes. */
  private staleInFlight = 0;
  private blockedReason: string | undefined;
  private lastError: string | undefined;
  private failure: FeedError | undefined;
  /** close() was called: new publishes are refused, buffered ones still go out. */
  private closing = false;
  /** The loop stops: set once close() gave up waiting or everything was confirmed. */
  private stopping = false;
  private closePromise: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private idle: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly counters = { published: 0, confirmed: 0, rejected: 0, resent: 0, reconnects: 0 };

  constructor(private readonly options: ResolvedPublisherOptions) {
    super();
    this.loop = this.connectLoop();
  }

  get state(): PublisherState {
    return this.currentState;
  }

  stats(): PublisherStats {
    return {
      state: this.currentState,
      buffered: this.unsettled,
      waiting: this.waiting.length + this.retry.length,
      inFlight: this.session?.inFlight.size ?? 0,
      ...this.counters,
      blockedReason: this.blockedReason,
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
    const count = Array.isArray(events) ? events.length : 1;
    // Checked before building anything: during an outage a refused publish costs nothing.
    if (this.unsettled + this.staleInFlight + count > this.options.maxBuffered)
      throw new FeedError(
        FeedErrorCode.PublishBufferFull,
        `publish buffer full: ${this.unsettled + this.staleInFlight} of ${this.options.maxBuffered} messages ` +
          `wait for the broker (${this.describeCondition()}); refused ${count} more`,
      );
    const messages = buildMessages(events, { source: this.options.source });
    if (messages.length === 1) {
      const message = messages[0]!;
      const sent = new Promise<FeedEvent[]>((resolve, reject) =>
        this.enqueue(message, () => resolve([message.event]), reject),
      );
      this.pump();
      return sent;
    }
    const sends = messages.map(
      (message) =>
        new Promise<FeedEvent>((resolve, reject) =>
          this.enqueue(message, () => resolve(message.event), reject),
        ),
    );
    this.pump();
    return Promise.allSettled(sends).then((results) => {
      if (results.every((result) => result.status === 'fulfilled'))
        return results.map((result) => (result as PromiseFulfilledResult<FeedEvent>).value);
      throw new PublishBatchError(messages, results);
    });
  }

  private enqueue(
    message: FeedMessage,
    resolve: () => void,
    reject: (error: FeedError) => void,
  ): void {
    const pending: Pending = {
      seq: ++this.seq,
      message,
      settled: false,
      sentOn: undefined,
      returned: undefined,
      deadline: Date.now() + this.options.publishTimeoutMs,
      resolve,
      reject,
    };
    this.unsettled += 1;
    this.counters.published += 1;
    this.waiting.push(pending);
    this.timeline.set(pending.seq, pending);
    this.armTimeout();
  }

  /**
   * One timer for all publishes, not one each: every publish gets the same timeout, so the
   * oldest unsettled one always expires first, and the timer waits for just that one.
   */
  private armTimeout(): void {
    if (this.timeoutTimer !== undefined) return;
    const oldest = this.timeline.values().next().value;
    if (oldest === undefined) return;
    this.timeoutTimer = setTimeout(
      () => {
        this.timeoutTimer = undefined;
        const now = Date.now();
        for (const pending of this.timeline.values()) {
          if (pending.deadline > now) break;
          this.onTimeout(pending);
        }
        this.armTimeout();
      },
      Math.max(oldest.deadline - Date.now(), 0) + 1,
    );
  }

  /** Sends what waits, in order, until amqplib's buffer asks to wait for 'drain'. */
  private pump(): void {
    const session = this.session;
    if (session === undefined || session.paused || this.blockedReason !== undefined) return;
    if (this.retry.length > 0) {
      this.waiting.requeueFront(this.retry);
      this.retry = [];
    }
    for (;;) {
      const pending = this.waiting.shift();
      if (pending === undefined) return;
      pending.sentOn = session;
      session.inFlight.set(pending.seq, pending);
      const { message } = pending;
      let writable: boolean;
      try {
        writable = session.channel.publish(
          this.options.exchange,
          message.routingKey,
          message.body,
          message.properties,
          (error: Error | null) => this.onConfirm(session, pending, error),
        );
      } catch {
        // The channel closed under us (its 'close' event is on its way): keep the message.
        session.inFlight.delete(pending.seq);
        pending.sentOn = undefined;
        this.waiting.unshift(pending);
        return;
      }
      if (!writable) {
        session.paused = true;
        return;
      }
    }
  }

  private onConfirm(session: ChannelSession, pending: Pending, error: Error | null): void {
    session.inFlight.delete(pending.seq);
    if (pending.settled) {
      if (pending.sentOn === session) this.staleInFlight -= 1;
      pending.sentOn = undefined;
      return;
    }
    pending.sentOn = undefined;
    if (error === null || error === undefined) {
      if (pending.returned !== undefined)
        return this.settle(
          pending,
          new FeedError(
            FeedErrorCode.PublishUnroutable,
            `event ${pending.message.event.id} (${pending.message.routingKey}) was returned by the broker: ${pending.returned}`,
          ),
        );
      return this.settle(pending);
    }
    if (error.message === 'message nacked')
      return this.settle(
        pending,
        new FeedError(
          FeedErrorCode.PublishNacked,
          `the broker refused event ${pending.message.event.id} (basic.nack): it did not store it`,
        ),
      );
    if (session.failure !== undefined) return this.settle(pending, session.failure);
    // The channel or connection was lost before the confirm: the message may or may not have
    // arrived. It goes out again on the next channel with the same message_id, and the feed
    // stores (source, id) once. Its timeout keeps running, so it never waits forever.
    pending.returned = undefined;
    this.counters.resent += 1;
    this.retry.push(pending);
  }

  private onReturn(session: ChannelSession, message: Message): void {
    const { replyCode, replyText, exchange, routingKey } = message.fields as unknown as {
      replyCode: number;
      replyText: string;
      exchange: string;
      routingKey: string;
    };
    const id = message.properties.messageId as string | undefined;
    for (const pending of session.inFlight.values())
      if (pending.message.properties.messageId === id && pending.returned === undefined) {
        pending.returned = `${replyCode} ${replyText}: no queue is bound to exchange '${exchange}' for routing key '${routingKey}'`;
        return;
      }
  }

  private onTimeout(pending: Pending): void {
    if (pending.settled) return;
    const sent = pending.sentOn !== undefined;
    if (sent) this.staleInFlight += 1;
    this.settle(
      pending,
      new FeedError(
        FeedErrorCode.PublishTimeout,
        `event ${pending.message.event.id} was not confirmed within ${this.options.publishTimeoutMs} ms: ` +
          `${this.describeCondition()}; ` +
          (sent
            ? 'it was sent and may still reach the feed (a retry with the same id is stored once)'
            : 'it was never sent'),
      ),
    );
    this.waiting.dropSettledHead();
  }

  private describeCondition(): string {
    if (this.blockedReason !== undefined)
      return `the broker has blocked the connection (${this.blockedReason})`;
    if (this.session === undefined)
      return `the broker is unreachable${this.lastError === undefined ? '' : ` (${this.lastError})`}`;
    return 'the broker has not confirmed';
  }

  private settle(pending: Pending, error?: FeedError): void {
    pending.settled = true;
    this.timeline.delete(pending.seq);
    this.unsettled -= 1;
    if (error === undefined) {
      this.counters.confirmed += 1;
      pending.resolve();
    } else {
      this.counters.rejected += 1;
      pending.reject(error);
    }
    if (this.unsettled === 0) this.idle?.();
  }

  private setState(next: PublisherState): void {
    const previous = this.currentState;
    if (previous === next || previous === 'closed') return;
    this.currentState = next;
    this.emit('state', next, previous);
  }

  /**
   * One loop, never recursion: connect (round robin over the nodes, capped backoff with
   * jitter), open a confirm channel and declare the topology, publish until the channel or the
   * connection ends, then again. A channel the server closed (e.g. a publish to a missing
   * exchange) is replaced on the same connection.
   */
  private async connectLoop(): Promise<void> {
    const log = this.options.logger;
    let attempt = 0;
    while (!this.stopping) {
      const url = urlForAttempt(this.options.urls, attempt);
      let connection: ChannelModel;
      try {
        connection = await amqp.connect(withHeartbeat(url, this.options.heartbeatS), {
          timeout: this.options.connectTimeoutMs,
          clientProperties: { connection_name: this.options.connectionName },
        });
      } catch (error) {
        this.lastError = (error as Error).message;
        const delay = this.backoff(attempt++);
        log.warn(
          { err: error, url: redactUrl(url), delayMs: delay },
          'feed publisher: connect failed',
        );
        await this.sleep(delay);
        continue;
      }
      if (this.stopping) {
        await connection.close().catch(() => {});
        break;
      }
      const closed = new Promise<Error | undefined>((resolve) => connection.once('close', resolve));
      connection.on('error', (error: Error) => {
        this.lastError = error.message;
        log.warn({ err: error }, 'feed publisher: connection error');
      });
      connection.on('blocked', (reason: string) => this.onBlocked(reason));
      connection.on('unblocked', () => this.onUnblocked());
      this.connection = connection;
      let connectionOpen = true;
      void closed.then(() => {
        connectionOpen = false;
      });
      log.info({ url: redactUrl(url) }, 'feed publisher: connected');

      while (connectionOpen && !this.stopping && this.failure === undefined) {
        const session = await this.openSession(connection);
        if (session === undefined) break;
        if (this.failure !== undefined) break;
        attempt = 0;
        await new Promise<void>((resolve) => session.channel.once('close', () => resolve()));
        this.endSession(session);
        if (connectionOpen && !this.stopping) await this.sleep(this.backoff(0));
      }
      if (connectionOpen) await connection.close().catch(() => {});
      const reason = await closed;
      this.connection = undefined;
      this.blockedReason = undefined;
      if (this.stopping || this.failure !== undefined) break;
      this.lastError = reason?.message ?? this.lastError;
      this.counters.reconnects += 1;
      if (!this.closing) this.setState('connecting');
      const delay = this.backoff(attempt++);
      log.warn({ err: reason, delayMs: delay }, 'feed publisher: connection lost, reconnecting');
      await this.sleep(delay);
    }
  }

  private async openSession(connection: ChannelModel): Promise<ChannelSession | undefined> {
    const log = this.options.logger;
    let channel: ConfirmChannel;
    try {
      channel = await connection.createConfirmChannel();
    } catch (error) {
      log.warn({ err: error }, 'feed publisher: could not open a channel');
      return undefined;
    }
    const session: ChannelSession = {
      channel,
      inFlight: new Map(),
      paused: false,
      failure: undefined,
    };
    channel.on('error', (error: Error & { code?: number }) => {
      log.warn({ err: error }, 'feed publisher: channel closed by the broker');
      // 404 on a publish: the exchange does not exist. Sending the same messages again would
      // fail the same way, so they reject; the channel is replaced for the next publishes.
      if (error.code === 404)
        session.failure = new FeedError(
          FeedErrorCode.PublishUnroutable,
          `the broker closed the channel: ${error.message}`,
          { cause: error },
        );
    });
    channel.on('return', (message: Message) => this.onReturn(session, message));
    channel.on('drain', () => {
      session.paused = false;
      this.pump();
    });
    try {
      await declareTopology(channel, { queueType: this.options.queueType });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === PRECONDITION_FAILED) {
        this.fail(error);
        return undefined;
      }
      log.warn({ err: error }, 'feed publisher: declaring the topology failed');
      await channel.close().catch(() => {});
      return undefined;
    }
    this.session = session;
    this.lastError = undefined;
    if (!this.closing) this.setState(this.blockedReason === undefined ? 'connected' : 'blocked');
    this.pump();
    return session;
  }

  private endSession(session: ChannelSession): void {
    if (this.session === session) this.session = undefined;
    // amqplib has called back every unconfirmed message with 'channel closed' by now; those
    // in `retry` go out first on the next channel.
    for (const pending of session.inFlight.values())
      this.onConfirm(session, pending, new Error('channel closed'));
    if (!this.closing && this.failure === undefined) this.setState('connecting');
  }

  /** The topology differs from ours: no reconnect can cure it, so say so and stop. */
  private fail(error: unknown): void {
    const mismatch = describeTopologyMismatch(error);
    this.failure = new FeedError(
      FeedErrorCode.TopologyMismatch,
      mismatch === null
        ? `the broker refused the feed topology: ${(error as Error).message}`
        : `queue '${mismatch.queue}' exists with another '${mismatch.argument}' than this publisher declares` +
            (mismatch.argument === 'x-queue-type'
              ? ` (queueType '${this.options.queueType}'; set FEED_QUEUE_TYPE to match, or delete the queue)`
              : '') +
            `: ${mismatch.message}`,
      { cause: error },
    );
    this.options.logger.error({ err: this.failure }, 'feed publisher: topology mismatch, stopped');
    this.rejectAll(this.failure);
    this.setState('failed');
  }

  private onBlocked(reason: string): void {
    this.blockedReason = reason || 'no reason given';
    this.options.logger.warn({ reason }, 'feed publisher: the broker blocked the connection');
    if (!this.closing) this.setState('blocked');
    this.emit('blocked', this.blockedReason);
  }

  private onUnblocked(): void {
    this.blockedReason = undefined;
    this.options.logger.info({}, 'feed publisher: the broker unblocked the connection');
    if (this.session !== undefined && !this.closing) this.setState('connected');
    this.emit('unblocked');
    this.pump();
  }

  private rejectAll(error: FeedError): void {
    const all: Pending[] = [...this.retry];
    this.retry = [];
    for (let pending = this.waiting.shift(); pending !== undefined; pending = this.waiting.shift())
      all.push(pending);
    if (this.session !== undefined) all.push(...this.session.inFlight.values());
    for (const pending of all)
      if (!pending.settled) {
        if (pending.sentOn !== undefined) this.staleInFlight += 1;
        this.settle(pending, error);
      }
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closePromise ??= this.closeNow(options.timeoutMs ?? this.options.closeTimeoutMs);
    return this.closePromise;
  }

  private async closeNow(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.closing = true;
    this.setState('closing');
    if (this.unsettled > 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    this.idle = undefined;
    if (this.unsettled > 0)
      this.rejectAll(
        new FeedError(
          FeedErrorCode.PublishClosed,
          `the publisher closed before the broker confirmed (deadline ${timeoutMs} ms, ${this.describeCondition()}); ` +
            'a message already sent may still reach the feed',
        ),
      );
    this.stopping = true;
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.wake?.();
    const connection = this.connection;
    const remaining = Math.max(deadline - Date.now(), 1000);
    if (connection !== undefined) {
      const closing = connection.close().catch(() => {});
      if (!(await finishesWithin(closing, remaining))) {
        // A connection that cannot close (the peer is gone) is torn down, so close() keeps
        // its deadline.
        const stream = (connection.connection as unknown as { stream?: { destroy(): void } })
          .stream;
        stream?.destroy();
      }
    }
    await finishesWithin(this.loop, remaining);
    this.setState('closed');
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, {
      minMs: this.options.reconnectMinMs,
      maxMs: this.options.reconnectMaxMs,
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function finishesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
