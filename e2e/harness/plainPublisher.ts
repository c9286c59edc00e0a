import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { topology } from '@feed/contracts';

export interface PlainMessage {
  content: Buffer;
  properties: Options.Publish;
  /** Published through the default exchange straight to `feed.events`, as pika does. */
  direct?: boolean;
  /** Routing key on the `feed` exchange; defaults to the `type` property. */
  routingKey?: string;
}

export interface PlainPublisher {
  /**
   * Publishes the messages and resolves once the broker confirmed every one of them. On a
   * lost connection it reconnects and sends the unconfirmed ones again (at-least-once, the
   * way a hand-written pika publisher does); the feed must absorb the repeats.
   */
  send(messages: readonly PlainMessage[]): Promise<void>;
  /** Sends that had to be repeated after a failure. */
  retries(): number;
  close(): Promise<void>;
}

/**
 * A publisher that knows nothing of our SDK: plain amqplib following the wire contract,
 * persistent messages, publisher confirms, no recovery but its own retry loop.
 */
export function createPlainPublisher(url: string | readonly string[]): PlainPublisher {
  // Several nodes: each connect tries the next one, as a hand-written client does.
  const urls = typeof url === 'string' ? [url] : url;
  let nextUrl = 0;
  let model: ChannelModel | null = null;
  let channel: ConfirmChannel | null = null;
  let closed = false;
  let retries = 0;

  const drop = async () => {
    const current = model;
    model = null;
    channel = null;
    // A frozen peer never answers close-ok: do not wait on it for long.
    await Promise.race([
      current?.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]);
  };

  const open = async (): Promise<ConfirmChannel> => {
    if (channel !== null) return channel;
    const connection = await amqp.connect(urls[nextUrl++ % urls.length]!, { timeout: 2000 });
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (model === connection) {
        model = null;
        channel = null;
      }
    });
    const confirm = await connection.createConfirmChannel();
    confirm.on('error', () => undefined);
    model = connection;
    channel = confirm;
    return confirm;
  };

  return {
    async send(messages) {
      let attempt = 0;
      for (;;) {
        if (closed) throw new Error('plain publisher closed');
        try {
          const ch = await open();
          for (const message of messages) {
            const options = { persistent: true, ...message.properties };
            if (message.direct) ch.sendToQueue(topology.queue, message.content, options);
            else
              ch.publish(
                topology.exchange,
                message.routingKey ?? message.properties.type ?? 'unknown',
                message.content,
                options,
              );
          }
          await withDeadline(ch.waitForConfirms(), 15_000);
          return;
        } catch {
          attempt += 1;
          retries += messages.length;
          await drop();
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        }
      }
    },
    retries: () => retries,
    async close() {
      closed = true;
      await drop();
    },
  };
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no confirm within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
