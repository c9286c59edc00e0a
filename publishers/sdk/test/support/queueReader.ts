import amqp from 'amqplib';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { declareTopology, type QueueType } from '@feed/contracts';

export interface QueueReader {
  /** Every message consumed from `feed.events`, in arrival order. */
  messages: ConsumeMessage[];
  ids(): string[];
  close(): Promise<void>;
}

/** Consumes `feed.events` of a test vhost (straight, not through a proxy) and keeps all. */
export async function readQueue(
  url: string,
  queueType: QueueType = 'quorum',
): Promise<QueueReader> {
  const connection: ChannelModel = await amqp.connect(url);
  const messages: ConsumeMessage[] = [];
  try {
    const channel = await connection.createChannel();
    await declareTopology(channel, { queueType });
    await channel.prefetch(1000);
    await channel.consume('feed.events', (message) => {
      if (message === null) return;
      messages.push(message);
      channel.ack(message);
    });
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
  return {
    messages,
    ids: () => messages.map((m) => String(m.properties.messageId)),
    close: () => connection.close(),
  };
}

/** Runs `work` on a plain channel of the vhost (to bend the topology under a publisher). */
export async function withChannel<T>(
  url: string,
  work: (channel: amqp.Channel) => Promise<T>,
): Promise<T> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    return await work(channel);
  } finally {
    await connection.close();
  }
}

export function duplicates(ids: readonly string[]): number {
  return ids.length - new Set(ids).size;
}
