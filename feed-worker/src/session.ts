import {
  FeedError,
  FeedErrorCode,
  declareTopology,
  describeTopologyMismatch,
  PRECONDITION_FAILED,
  topology,
  type QueueType,
} from '@feed/contracts';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { amqpConnect } from './amqpConnect.js';
import type { Logger } from './logger.js';

/**
 * One life of the broker connection: its channel and consumer. A message remembers the
 * session that delivered it and is acked only on that session's channel, while it is open;
 * once the session ended its acks are dropped (the broker redelivers, the unique key absorbs
 * the copy), so an ack never reaches a replaced channel.
 */
export class Session {
  open = true;
  consuming = false;
  consumerTag: string | undefined;
  readonly #connection: ChannelModel;
  readonly #channel: Channel;
  readonly #end: (reason: string, error?: unknown) => void;

  constructor(connection: ChannelModel, channel: Channel, end: Session['end']) {
    this.#connection = connection;
    this.#channel = channel;
    this.#end = end;
  }

  get connection(): ChannelModel {
    return this.#connection;
  }

  /**
   * Acks `message` and every earlier delivery of this channel. The caller guarantees that all
   * of those are done (batches are finished in delivery order). False: dropped, the channel
   * is gone.
   */
  ackUpTo(message: ConsumeMessage): boolean {
    if (!this.open) return false;
    try {
      this.#channel.ack(message, true);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops deliveries; what was delivered but not acked returns to the queue at close. */
  async cancel(): Promise<void> {
    const tag = this.consumerTag;
    this.consuming = false;
    if (!this.open || tag === undefined) return;
    await this.#channel.cancel(tag);
  }

  end(reason: string, error?: unknown): void {
    this.#end(reason, error);
  }

  /**
   * Closes the channel, then the connection. The channel goes first: its close follows the
   * acks on the same channel, whereas a connection close (on channel 0) may overtake acks
   * still queued for channel 1, and the broker would requeue messages already stored.
   */
  async close(reason: string, waitMs = 2000): Promise<void> {
    if (this.open) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#channel.close().catch(() => {}),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    this.#end(reason);
  }
}

export interface SessionOptions {
  url: string;
  name: string;
  heartbeatS: number;
  queueType: QueueType;
  prefetch: number;
  logger: Logger;
  /** Every delivery of this session, in order. */
  onDelivery: (message: ConsumeMessage, session: Session) => void;
  /** The consumer is attached. */
  onConsuming: (session: Session) => void;
  /** The session ended; its messages not yet acked will be redelivered. */
  onEnd: (session: Session) => void;
  /** How often to read the queue's depth and consumer count, ms (0: never). */
  checkIntervalMs: number;
  onCheck?: (depth: { messageCount: number; consumerCount: number }) => void;
}

/**
 * Connects, declares the topology, consumes, and resolves once the session is over: the
 * connection or channel closed, the broker cancelled the consumer (queue deleted, node
 * failover) or `end()` was called. Rejects if it cannot start; a queue declared with other
 * arguments rejects with FEED_ERR_TOPOLOGY_MISMATCH, which no retry can fix.
 */
export async function runSession(options: SessionOptions): Promise<void> {
  const { logger } = options;
  const connection = await amqpConnect(options.url, {
    heartbeatS: options.heartbeatS,
    timeoutMs: Math.max(5000, options.heartbeatS * 2000),
    name: options.name,
  });
  const closed = new Promise<void>((resolve) => connection.once('close', () => resolve()));
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let session: Session | undefined;
  let over = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const end = (reason: string, error?: unknown) => {
    if (over) return;
    over = true;
    if (timer !== undefined) clearInterval(timer);
    if (session !== undefined) {
      // First, synchronously: from here no ack goes to this channel.
      session.open = false;
      session.consuming = false;
      options.onEnd(session);
    }
    logger.warn({ reason, err: error }, 'broker session ended');
    void closeConnection(connection, closed).then(resolveEnded);
  };
  connection.on('error', (error: Error) => end('connection error', error));
  connection.on('close', (error?: Error) => end('connection closed', error));
  connection.on('blocked', (reason: string) =>
    logger.warn({ reason }, 'broker blocked the connection (resource alarm)'),
  );
  connection.on('unblocked', () => logger.info('broker unblocked the connection'));

  try {
    const channel = await connection.createChannel();
    channel.on('error', (error: Error) => end('channel error', error));
    channel.on('close', () => end('channel closed'));
    try {
      await declareTopology(channel, { queueType: options.queueType });
    } catch (error) {
      const mismatch = describeTopologyMismatch(error);
      if (mismatch === null) {
        // describeTopologyMismatch reads queues only; an exchange declared with another type
        // is just as unfixable by retrying.
        const { code, message } = error as { code?: unknown; message?: unknown };
        if (code === PRECONDITION_FAILED && /inequivalent arg/.test(String(message)))
          throw new FeedError(
            FeedErrorCode.TopologyMismatch,
            `the topology exists with other arguments; the broker says: ${String(message)}`,
            { cause: error },
          );
        throw error;
      }
      throw new FeedError(
        FeedErrorCode.TopologyMismatch,
        `queue '${mismatch.queue}' exists with another '${mismatch.argument}' than this worker declares ` +
          `(FEED_QUEUE_TYPE=${options.queueType}); the broker says: ${mismatch.message}`,
        { cause: error },
      );
    }
    await channel.prefetch(options.prefetch);
    session = new Session(connection, channel, end);
    const current = session;
    const { consumerTag } = await channel.consume(
      topology.queue,
      (message) => {
        if (message === null) end('consumer cancelled by the broker');
        else options.onDelivery(message, current);
      },
      { noAck: false },
    );
    if (over) return await ended;
    session.consumerTag = consumerTag;
    session.consuming = true;
    options.onConsuming(session);
    if (options.checkIntervalMs > 0) {
      timer = setInterval(() => void checkQueue(connection, options), options.checkIntervalMs);
      void checkQueue(connection, options);
    }
  } catch (error) {
    over = true;
    if (session !== undefined) {
      session.open = false;
      options.onEnd(session);
    }
    await closeConnection(connection, closed);
    throw error;
  }
  await ended;
}

/** Reads depth and consumers on a channel of its own: a 404 closes that channel only. */
async function checkQueue(connection: ChannelModel, options: SessionOptions): Promise<void> {
  let channel: Channel | undefined;
  try {
    channel = await connection.createChannel();
    channel.on('error', () => {});
    const { messageCount, consumerCount } = await channel.checkQueue(topology.queue);
    options.onCheck?.({ messageCount, consumerCount });
    await channel.close();
  } catch {
    // The queue is gone or the connection is: the session notices on its own channel.
  }
}

/**
 * Closes politely, but never waits on a peer that stopped answering (a frozen broker would
 * leave close() pending forever): after a short wait the socket is destroyed.
 */
async function closeConnection(
  connection: ChannelModel,
  closed: Promise<void>,
  waitMs = 2000,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      const stream = (connection.connection as unknown as { stream?: { destroy(): void } }).stream;
      stream?.destroy();
      resolve();
    }, waitMs);
  });
  // A connection already lost resolves `closed` at once; close() on it might never settle.
  await Promise.race([connection.close().catch(() => {}), closed, timeout]);
  clearTimeout(timer);
}
