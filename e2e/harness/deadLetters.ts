import amqp from 'amqplib';
import { topology } from '@feed/contracts';

export interface DeadLetter {
  messageId: string | undefined;
  bodyBytes: number;
  headers: Record<string, unknown>;
}

/**
 * Reads every message in `feed.dead` without removing it: each is fetched unacknowledged and
 * returns to the queue when the channel closes.
 */
export async function readDeadLetters(url: string): Promise<DeadLetter[]> {
  const connection = await amqp.connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    const letters: DeadLetter[] = [];
    for (;;) {
      const message = await channel.get(topology.deadLetterQueue, { noAck: false });
      if (message === false) break;
      letters.push({
        messageId: message.properties.messageId as string | undefined,
        bodyBytes: message.content.byteLength,
        headers: (message.properties.headers ?? {}) as Record<string, unknown>,
      });
    }
    return letters;
  } finally {
    await connection.close();
  }
}

/** Messages in a queue now, ready ones only. */
export async function queueDepth(url: string, queue: string): Promise<number> {
  const connection = await amqp.connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const { messageCount } = await channel.checkQueue(queue);
    return messageCount;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
