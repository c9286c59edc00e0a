import { FeedError, FeedErrorCode, backoffDelay } from '@feed/contracts';
import type { FeedMessage } from './buildMessage.js';
import { PendingQueue } from './pendingQueue.js';
import { RoomQueue } from './roomQueue.js';
import type { PublishChannel } from './publishChannel.js';

/** One message from `publish()` until the broker confirmed it or it was rejected. */
export interface Pending {
  seq: number;
  message: FeedMessage;
  settled: boolean;
  /** The channel it is in flight on, if sent. */
  sentOn: PublishChannel | undefined;
  /** Set by a basic.return: the broker routed it nowhere; its confirm follows. */
  returned: string | undefined;
  /** Date.now() past which it rejects with FEED_PUBLISH_TIMEOUT. */
  deadline: number;
  /** basic.nacks it got so far; each is followed by a retry while the deadline allows. */
  nacks: number;
  /** Set while it waits to be sent again after a nack. */
  retryTimer: NodeJS.Timeout | undefined;
  resolve(): void;
  reject(error: FeedError): void;
}

export interface PublishBufferOptions {
  maxBuffered: number;
  publishTimeoutMs: number;
  /** Why nothing is confirmed right now, for the messages of a timeout or a full buffer. */
  condition: () => string;
  /** A nacked message is due to be sent again: the channel should send. */
  onRetryDue: () => void;
  /**
   * Whether a publish that finds the buffer full waits for room (the broker is answering and
   * confirms are merely late, as in a quorum queue's leader election) rather than being
   * refused at once (the broker is unreachable: waiting would only hold more).
   */
  waitForRoom: () => boolean;
}

/**
 * The delay before a nacked message goes out again: capped exponential with full jitter from
 * 100 ms to 2 s. A quorum queue nacks while it elects a leader, which stalled publishers
 * for 1-3.5 s in the cluster scenario (e2e/cluster.serial.test.ts); 2 s keeps retries a small share of the traffic during a long one and
 * the first retries land soon after a short one.
 */
export const nackRetryBackoff = { minMs: 100, maxMs: 2000 };

/**
 * The bounded buffer: every message from `publish()` until it settles, waiting to be sent,
 * sent again after its channel was lost, or in flight. It decides when a message has waited
 * too long, and refuses new ones past `maxBuffered`, so an outage of any length holds at most
 * that many.
 */
export class PublishBuffer {
  private readonly waiting = new PendingQueue<Pending>();
  /** In flight on a lost channel: sent again first on the next one. */
  private resends: Pending[] = [];
  /** Unsettled messages in publish order, which is also the order of their deadlines. */
  private readonly timeline = new Map<number, Pending>();
  private seq = 0;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private unsettled = 0;
  /** Settled (timed out, rejected) while in flight: still held until their channel answers. */
  private staleInFlight = 0;
  private onIdle: (() => void) | undefined;
  /** Publishes waiting for room, oldest first; as many as `maxBuffered` at most. */
  private readonly room: RoomQueue;
  readonly counters = { published: 0, confirmed: 0, rejected: 0, resent: 0, retried: 0 };

  constructor(private readonly options: PublishBufferOptions) {
    this.room = new RoomQueue(options.publishTimeoutMs, (count) =>
      this.full(count, options.publishTimeoutMs),
    );
  }

  /** Messages held that have not settled: waiting plus sent and unconfirmed. */
  get size(): number {
    return this.unsettled;
  }

  /** Messages not on the wire: waiting to be sent, or sent again. */
  get waitingCount(): number {
    return this.waiting.length + this.resends.length;
  }

  /** Publishes waiting for room in a full buffer. */
  get waitingForRoom(): number {
    return this.room.length;
  }

  /**
   * Throws FEED_PUBLISH_BUFFER_FULL unless `count` more fit now or may wait for room: they
   * may wait while the broker answers (`waitForRoom`), as many as `maxBuffered` publishes at
   * most. Costs nothing during an outage.
   */
  checkRoom(count: number): void {
    if (this.room.length === 0 && this.fits(count)) return;
    if (
      !this.options.waitForRoom() ||
      count > this.options.maxBuffered ||
      this.room.length >= this.options.maxBuffered
    )
      throw this.full(count);
  }

  /**
   * Runs `enter` (which adds `count` messages) at once if they fit, else once room is made,
   * in publish order; `fail` gets FEED_PUBLISH_BUFFER_FULL if no room is made within the
   * publish deadline (nothing was sent).
   */
  enter(count: number, enter: () => void, fail: (error: FeedError) => void): void {
    if (this.room.length === 0 && this.fits(count)) return enter();
    this.room.wait(count, enter, fail);
  }

  private fits(count: number): boolean {
    return this.unsettled + this.staleInFlight + count <= this.options.maxBuffered;
  }

  private full(count: number, waitedMs?: number): FeedError {
    const held = this.unsettled + this.staleInFlight;
    return new FeedError(
      FeedErrorCode.PublishBufferFull,
      `publish buffer full: ${held} of ${this.options.maxBuffered} messages ` +
        `wait for the broker (${this.options.condition()}); ` +
        (waitedMs === undefined
          ? `refused ${count} more`
          : `${count} more waited ${waitedMs} ms for room and were never sent`),
    );
  }

  add(message: FeedMessage, resolve: () => void, reject: (error: FeedError) => void): void {
    const pending: Pending = {
      seq: ++this.seq,
      message,
      settled: false,
      sentOn: undefined,
      returned: undefined,
      deadline: Date.now() + this.options.publishTimeoutMs,
      nacks: 0,
      retryTimer: undefined,
      resolve,
      reject,
    };
    this.unsettled += 1;
    this.counters.published += 1;
    this.waiting.push(pending);
    this.timeline.set(pending.seq, pending);
    this.armTimeout();
  }

  /** The next message to send: those sent again first, in publish order, then the waiting. */
  next(): Pending | undefined {
    if (this.resends.length > 0) {
      this.waiting.requeueFront(this.resends);
      this.resends = [];
    }
    return this.waiting.shift();
  }

  /** A message the channel refused (it closed under us): first again. */
  putBack(pending: Pending): void {
    this.waiting.unshift(pending);
  }

  /**
   * Its channel or connection was lost before the confirm: the message may or may not have
   * arrived. It goes out again on the next channel with the same message_id, and the feed
   * stores (source, id) once. Its timeout keeps running, so it never waits forever.
   */
  resend(pending: Pending): void {
    pending.returned = undefined;
    this.counters.resent += 1;
    this.resends.push(pending);
  }

  /**
   * The broker answered basic.nack: it did not store the message, for now (a quorum queue
   * without a leader nacks while it elects one). The message goes out again, with the same
   * message_id, after a backoff, unless that would pass its deadline: then false, and it
   * rejects with FEED_PUBLISH_NACKED.
   */
  retryNacked(pending: Pending): boolean {
    const delayMs = backoffDelay(pending.nacks, nackRetryBackoff);
    pending.nacks += 1;
    pending.returned = undefined;
    if (Date.now() + delayMs >= pending.deadline) return false;
    this.counters.retried += 1;
    pending.retryTimer = setTimeout(() => {
      pending.retryTimer = undefined;
      if (pending.settled) return;
      this.resends.push(pending);
      this.options.onRetryDue();
    }, delayMs);
    return true;
  }

  /** A message settled while in flight got its answer from the channel: it is let go. */
  releaseStale(): void {
    this.staleInFlight -= 1;
  }

  settle(pending: Pending, error?: FeedError): void {
    pending.settled = true;
    clearTimeout(pending.retryTimer);
    pending.retryTimer = undefined;
    this.timeline.delete(pending.seq);
    this.unsettled -= 1;
    if (error === undefined) {
      this.counters.confirmed += 1;
      pending.resolve();
    } else {
      this.counters.rejected += 1;
      pending.reject(error);
    }
    this.room.admit((count) => this.fits(count));
    if (this.unsettled === 0) this.onIdle?.();
  }

  /** Rejects every unsettled message, in publish order, and every publish waiting for room. */
  rejectAll(error: FeedError): void {
    this.room.rejectAll(error);
    for (const pending of this.timeline.values()) {
      if (pending.sentOn !== undefined) this.staleInFlight += 1;
      this.settle(pending, error);
    }
    this.resends = [];
    this.waiting.dropSettledHead();
  }

  /** Resolves once nothing is unsettled, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    if (this.unsettled > 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    this.onIdle = undefined;
  }

  /** Stops the timeout timer: after close, nothing is left to time out. */
  stop(): void {
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.room.stop();
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

  private onTimeout(pending: Pending): void {
    if (pending.settled) return;
    const sent = pending.sentOn !== undefined;
    if (sent) this.staleInFlight += 1;
    const nacked =
      pending.nacks > 0 ? `the broker refused it ${pending.nacks} times (basic.nack); ` : '';
    this.settle(
      pending,
      new FeedError(
        FeedErrorCode.PublishTimeout,
        `event ${pending.message.event.id} was not confirmed within ${this.options.publishTimeoutMs} ms: ` +
          `${this.options.condition()}; ` +
          nacked +
          (sent
            ? 'it was sent and may still reach the feed (a retry with the same id is stored once)'
            : nacked === ''
              ? 'it was never sent'
              : 'it is not stored'),
      ),
    );
    this.waiting.dropSettledHead();
  }
}
