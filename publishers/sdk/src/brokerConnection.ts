import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import {
  FeedError,
  FeedErrorCode,
  PRECONDITION_FAILED,
  abortableSleep,
  amqpConnectAny,
  backoffDelay,
  connectLoop,
  declareTopology,
  describeTopologyMismatch,
  isFeedError,
  redactUrl,
} from '@feed/contracts';
import type { ResolvedPublisherOptions } from './options.js';
import type { PublishBuffer } from './publishBuffer.js';
import { PublishChannel } from './publishChannel.js';

/** What the publisher hears from its connection, to keep its state and events. */
export interface ConnectionEvents {
  /** A confirm channel is open and the topology declared: messages go out. */
  channelOpen(): void;
  /** The channel is gone, alone or with its connection: messages wait for the next one. */
  channelLost(): void;
  /** The broker blocked the connection (memory or disk alarm): nothing is sent meanwhile. */
  blocked(reason: string): void;
  unblocked(): void;
  /** The topology differs from ours: no reconnect can cure it, the connection stopped. */
  failed(error: FeedError): void;
}

/**
 * The publisher's connection to the broker, kept up by the shared connect loop (capped
 * backoff with jitter, never recursion) over the nodes in turn: it keeps a confirm channel open
 * and declares the topology on each one, replaces a channel the server closed (e.g. a publish
 * to a missing exchange), and connects again when the connection is lost, until `close()`. A
 * topology that differs from ours stops it: no reconnect can cure that.
 */
export class BrokerConnection {
  private connection: ChannelModel | undefined;
  private channel: PublishChannel | undefined;
  private blockedReason: string | undefined;
  private lastError: string | undefined;
  /** The node the next connection tries first: the one after the node last connected to. */
  private nextNode = 0;
  private readonly stop = new AbortController();
  private readonly loop: Promise<void>;
  private lost = 0;

  constructor(
    private readonly options: ResolvedPublisherOptions,
    private readonly buffer: PublishBuffer,
    private readonly events: ConnectionEvents,
  ) {
    // The loop rejects only with the fatal error, a topology mismatch: the publisher fails.
    this.loop = connectLoop({
      name: 'feed publisher',
      signal: this.stop.signal,
      minMs: options.reconnectMinMs,
      maxMs: options.reconnectMaxMs,
      logger: options.logger,
      // A connection lost after a second of work goes to another node at once (its node died).
      atOnceAfterMs: options.urls.length > 1 ? 1000 : undefined,
      isFatal: (error) => isFeedError(error) && error.code === FeedErrorCode.TopologyMismatch,
      connection: (_attempt, healthy) => this.connectOnce(healthy),
    }).catch((error: unknown) => this.events.failed(error as FeedError));
  }

  /** Connections lost while the publisher ran: each is followed by a new one. */
  get reconnects(): number {
    return this.lost;
  }

  get blocked(): string | undefined {
    return this.blockedReason;
  }

  /** Messages sent on the open channel and not yet confirmed. */
  get inFlight(): number {
    return this.channel?.inFlight.size ?? 0;
  }

  get hasChannel(): boolean {
    return this.channel !== undefined;
  }

  /** Why nothing is confirmed right now, as a publish's rejection says it. */
  condition(): string {
    if (this.blockedReason !== undefined)
      return `the broker has blocked the connection (${this.blockedReason})`;
    if (this.channel === undefined)
      return `the broker is unreachable${this.lastError === undefined ? '' : ` (${this.lastError})`}`;
    return 'the broker has not confirmed';
  }

  /** Sends what the buffer holds, unless there is no channel or the broker blocked us. */
  pump(): void {
    if (this.blockedReason === undefined) this.channel?.send();
  }

  /**
   * Stops connecting and closes the connection. One that cannot close within `withinMs` (the
   * peer is gone) is torn down, so the publisher's close() keeps its deadline.
   */
  async close(withinMs: number): Promise<void> {
    this.stop.abort();
    const connection = this.connection;
    if (connection !== undefined) {
      const closing = connection.close().catch(() => {});
      if (!(await finishesWithin(closing, withinMs))) {
        const stream = (connection.connection as unknown as { stream?: { destroy(): void } })
          .stream;
        stream?.destroy();
      }
    }
    await finishesWithin(this.loop, withinMs);
  }

  /**
   * One life of a connection, run by the shared connect loop: connect, open a confirm channel
   * and declare the topology, publish until the channel ends, open another while the
   * connection lasts, and return once it closed. The loop waits and calls it again.
   */
  private async connectOnce(healthy: () => void): Promise<void> {
    const { options } = this;
    const log = options.logger;
    log.debug(
      { first: redactUrl(options.urls[this.nextNode % options.urls.length]!) },
      'feed publisher: connecting',
    );
    let connection: ChannelModel;
    let url: string;
    try {
      const node = await amqpConnectAny(amqp.connect, options.urls, {
        first: this.nextNode,
        heartbeatS: options.heartbeatS,
        timeoutMs: options.connectTimeoutMs,
        name: options.connectionName,
      });
      ({ connection, url } = node);
      this.nextNode = node.index + 1;
    } catch (error) {
      this.lastError = (error as Error).message;
      throw error;
    }
    if (this.stop.signal.aborted) {
      await connection.close().catch(() => {});
      return;
    }
    const closed = new Promise<Error | undefined>((resolve) => connection.once('close', resolve));
    let open = true;
    void closed.then(() => {
      open = false;
    });
    connection.on('error', (error: Error) => {
      this.lastError = error.message;
      log.warn({ err: error }, 'feed publisher: connection error');
    });
    connection.on('blocked', (reason: string) => {
      this.blockedReason = reason || 'no reason given';
      this.events.blocked(this.blockedReason);
    });
    connection.on('unblocked', () => {
      this.blockedReason = undefined;
      this.events.unblocked();
      this.pump();
    });
    this.connection = connection;
    log.info({ url: redactUrl(url) }, 'feed publisher: connected');

    let fatal: unknown;
    try {
      while (open && !this.stop.signal.aborted) {
        const channel = await this.openChannel(connection);
        if (channel === undefined) break;
        healthy();
        await channel.closed;
        this.endChannel(channel);
        // A channel the broker closed (a publish to a missing exchange) is replaced on the
        // same connection after a short pause.
        if (open) await abortableSleep(this.backoff(0), this.stop.signal);
      }
    } catch (error) {
      fatal = error;
    }
    if (open) await connection.close().catch(() => {});
    const reason = await closed;
    this.connection = undefined;
    this.blockedReason = undefined;
    if (fatal !== undefined) throw fatal;
    if (this.stop.signal.aborted) return;
    this.lastError = reason?.message ?? this.lastError;
    this.lost += 1;
    log.warn({ err: reason }, 'feed publisher: connection lost');
    this.events.channelLost();
  }

  private async openChannel(connection: ChannelModel): Promise<PublishChannel | undefined> {
    const log = this.options.logger;
    let confirmChannel: ConfirmChannel;
    try {
      confirmChannel = await connection.createConfirmChannel();
    } catch (error) {
      log.warn({ err: error }, 'feed publisher: could not open a channel');
      return undefined;
    }
    const channel = new PublishChannel(
      confirmChannel,
      this.buffer,
      this.options.exchange,
      log,
      () => this.pump(),
    );
    try {
      await declareTopology(confirmChannel, { queueType: this.options.queueType });
    } catch (error) {
      if ((error as { code?: unknown }).code === PRECONDITION_FAILED)
        throw this.topologyMismatch(error);
      log.warn({ err: error }, 'feed publisher: declaring the topology failed');
      await confirmChannel.close().catch(() => {});
      return undefined;
    }
    this.channel = channel;
    this.lastError = undefined;
    this.events.channelOpen();
    this.pump();
    return channel;
  }

  private endChannel(channel: PublishChannel): void {
    if (this.channel === channel) this.channel = undefined;
    // Those it had in flight go out first on the next channel.
    channel.lost();
    this.events.channelLost();
  }

  private topologyMismatch(error: unknown): FeedError {
    const mismatch = describeTopologyMismatch(error);
    return new FeedError(
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
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, {
      minMs: this.options.reconnectMinMs,
      maxMs: this.options.reconnectMaxMs,
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
