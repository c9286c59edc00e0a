import {
  FeedError,
  FeedErrorCode,
  amqpConnectAny,
  declareTopology,
  describeTopologyMismatch,
  PRECONDITION_FAILED,
  topology,
  type QueueType,
} from '@feed/contracts';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { connect } from 'amqplib';
import { Consumer } from './consumer.js';
import { watchDropped, type DroppedParkedMessage } from './droppedWatch.js';
import type { Logger } from './logger.js';

export interface ConsumerOptions {
  /** The broker's nodes; the first that answers, starting from `firstNode`, is used. */
  urls: readonly string[];
  firstNode: number;
  /** The node connected to, before anything is declared on it. */
  onConnected?: (url: string, index: number) => void;
  name: string;
  heartbeatS: number;
  queueType: QueueType;
  prefetch: number;
  /** See AckTrackerOptions.waitMs. */
  ackWaitMs: number;
  /** See ConsumerSettings.maxBytesInHand. */
  maxBytesInHand: number;
  logger: Logger;
  /** Every delivery of this consumer, in order. */
  onDelivery: (message: ConsumeMessage, consumer: Consumer) => void;
  /** The consumer is attached. */
  onConsuming: (consumer: Consumer) => void;
  /** The consumer ended; its messages not yet acked will be redelivered. */
  onEnd: (consumer: Consumer) => void;
  /** How often to read the queue's depth and consumer count, ms (0: never). */
  checkIntervalMs: number;
  onCheck?: (depth: {
    messageCount: number;
    consumerCount: number;
    /** Messages in feed.dead, or undefined when it could not be read. */
    parked: number | undefined;
  }) => void;
  /** A parked message that feed.dead's bound pushed out (see droppedWatch.ts). */
  onDropped?: (dropped: DroppedParkedMessage) => void;
}

/**
 * Connects, declares the topology, consumes, and resolves once this consumer's life is over: the
 * connection or channel closed, the broker cancelled the consumer (queue deleted, node
 * failover) or `end()` was called. Rejects if it cannot start; a queue declared with other
 * arguments rejects with FEED_ERR_TOPOLOGY_MISMATCH, which no retry can fix.
 */
export async function runConsumer(options: ConsumerOptions): Promise<void> {
  const { logger } = options;
  const { connection, url, index } = await amqpConnectAny(connect, options.urls, {
    first: options.firstNode,
    heartbeatS: options.heartbeatS,
    timeoutMs: Math.max(5000, options.heartbeatS * 2000),
    name: options.name,
  });
  options.onConnected?.(url, index);
  const closed = new Promise<void>((resolve) => connection.once('close', () => resolve()));
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let consumer: Consumer | undefined;
  let over = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const end = (reason: string, error?: unknown) => {
    if (over) return;
    over = true;
    if (timer !== undefined) clearInterval(timer);
    if (consumer !== undefined) {
      // First, synchronously: from here no ack goes to this channel.
      consumer.open = false;
      consumer.consuming = false;
      consumer.acks.close();
      options.onEnd(consumer);
    }
    logger.warn({ reason, err: error }, 'broker connection ended');
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
    consumer = new Consumer(channel, end, {
      prefetch: options.prefetch,
      ackWaitMs: options.ackWaitMs,
      maxBytesInHand: options.maxBytesInHand,
      logger,
      onDelivery: options.onDelivery,
    });
    await consumer.start();
    if (options.onDropped !== undefined) await watchDropped(connection, logger, options.onDropped);
    if (over) return await ended;
    options.onConsuming(consumer);
    if (options.checkIntervalMs > 0) {
      timer = setInterval(() => void checkQueue(connection, options), options.checkIntervalMs);
      void checkQueue(connection, options);
    }
  } catch (error) {
    over = true;
    if (consumer !== undefined) {
      consumer.open = false;
      consumer.acks.close();
      options.onEnd(consumer);
    }
    await closeConnection(connection, closed);
    throw error;
  }
  await ended;
}

/**
 * Reads the depth and consumers of feed.events, and the depth of feed.dead, on a channel of its
 * own: a 404 closes that channel only.
 */
async function checkQueue(connection: ChannelModel, options: ConsumerOptions): Promise<void> {
  let channel: Channel | undefined;
  try {
    channel = await connection.createChannel();
    channel.on('error', () => {});
    const { messageCount, consumerCount } = await channel.checkQueue(topology.queue);
    const parked = await channel
      .checkQueue(topology.deadLetterQueue)
      .then((dead) => dead.messageCount)
      .catch(() => undefined);
    options.onCheck?.({ messageCount, consumerCount, parked });
    await channel.close().catch(() => {});
  } catch {
    // The queue is gone or the connection is: the consumer notices on its own channel.
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
