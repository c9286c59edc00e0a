import amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import {
  FeedError,
  FeedErrorCode,
  PRECONDITION_FAILED,
  backoffDelay,
  declareTopology,
  describeTopologyMismatch,
  redactUrl,
  urlForAttempt,
} from '@feed/contracts';
import type { ResolvedPublisherOptions } from './options.js';
import type { PublishBuffer } from './publishBuffer.js';
import { PublishChannel } from './publishChannel.js';
import { withHeartbeat } from './withHeartbeat.js';

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
 * The publisher's connection to the broker: connects (round robin over the nodes, capped
 * backoff with jitter), keeps a confirm channel open on it and declares the topology on each,
 * replaces a channel the server closed (e.g. a publish to a missing exchange), and connects
 * again when the connection is lost, until `close()`.
 */
export class BrokerConnection {
  private connection: ChannelModel | undefined;
  private channel: PublishChannel | undefined;
  private blockedReason: string | undefined;
  private lastError: string | undefined;
  private stopping = false;
  private failure: FeedError | undefined;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  /** Connections lost and opened again. */
  reconnects = 0;

  constructor(
    private readonly options: ResolvedPublisherOptions,
    private readonly buffer: PublishBuffer,
    private readonly events: ConnectionEvents,
  ) {
    this.loop = this.connectLoop();
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
    this.stopping = true;
    this.wake?.();
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
   * One loop, never recursion: connect, open a confirm channel and declare the topology,
   * publish until the channel or the connection ends, then again.
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
      let connectionOpen = true;
      void closed.then(() => {
        connectionOpen = false;
      });
      log.info({ url: redactUrl(url) }, 'feed publisher: connected');

      while (connectionOpen && !this.stopping && this.failure === undefined) {
        const channel = await this.openChannel(connection);
        if (channel === undefined) break;
        if (this.failure !== undefined) break;
        attempt = 0;
        await channel.closed;
        this.endChannel(channel);
        if (connectionOpen && !this.stopping) await this.sleep(this.backoff(0));
      }
      if (connectionOpen) await connection.close().catch(() => {});
      const reason = await closed;
      this.connection = undefined;
      this.blockedReason = undefined;
      if (this.stopping || this.failure !== undefined) break;
      this.lastError = reason?.message ?? this.lastError;
      this.reconnects += 1;
      this.events.channelLost();
      const delay = this.backoff(attempt++);
      log.warn({ err: reason, delayMs: delay }, 'feed publisher: connection lost, reconnecting');
      await this.sleep(delay);
    }
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
      const code = (error as { code?: unknown }).code;
      if (code === PRECONDITION_FAILED) {
        this.failure = this.topologyMismatch(error);
        this.events.failed(this.failure);
        return undefined;
      }
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
    if (this.failure === undefined) this.events.channelLost();
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
