import { topology } from '@feed/contracts';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from './logger.js';

/** What a parked message that feed.dead's bound pushed out was, for its log line. */
export interface DroppedParkedMessage {
  code: string;
  reason: string;
  parkId: string | undefined;
  source: string | undefined;
  eventId: string | undefined;
  parkedAt: string | undefined;
}

function header(message: ConsumeMessage, name: string): string | undefined {
  const value = message.properties.headers?.[name];
  if (typeof value === 'string') return value;
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

/** Reads the headers parking wrote (park.ts) on a message the broker dropped. */
export function describeDropped(message: ConsumeMessage): DroppedParkedMessage {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    code: header(message, 'x-feed-error-code') ?? 'unknown',
    reason: header(message, 'x-feed-error') ?? '',
    parkId: header(message, 'x-feed-park-id'),
    source: text(message.properties.appId),
    eventId: text(message.properties.messageId),
    parkedAt: header(message, 'x-feed-parked-at'),
  };
}

/**
 * Consumes feed.dead.dropped on the consumer's connection: each message there is one that
 * feed.dead's bound pushed out (its policy dead-letters what `drop-head` drops). Each gets a
 * log line and a count, then goes: the bound is the operator's decision, never silent.
 * Parking itself never waits on this (drop-head accepts every park).
 */
export async function watchDropped(
  connection: ChannelModel,
  logger: Logger,
  onDropped: (dropped: DroppedParkedMessage) => void,
): Promise<void> {
  const channel = await connection.createChannel();
  // A deleted feed.dead.dropped cancels this consumer only; the next connection declares it.
  channel.on('error', (error: Error) =>
    logger.warn({ err: error }, 'watching feed.dead.dropped stopped'),
  );
  await channel.prefetch(100);
  await channel.consume(topology.droppedQueue, (message) => {
    if (message === null) return;
    const dropped = describeDropped(message);
    onDropped(dropped);
    logger.error(
      dropped,
      'parked message dropped: feed.dead is at its bound (its policy max-length), the oldest went',
    );
    channel.ack(message);
  });
}
