import { hostname } from 'node:os';
import { redactUrl, topology, urlForAttempt } from '@feed/contracts';
import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import { amqpConnect } from './amqpConnect.js';
import type { Logger } from './logger.js';

export interface ParkReason {
  code: string;
  reason: string;
}

export interface ParkerOptions {
  urls: readonly string[];
  heartbeatS: number;
  logger: Logger;
  /** How long a park may wait for the broker's confirm, ms. */
  confirmTimeoutMs?: number;
}

/** Identifies this process in `x-feed-worker`. */
export const workerIdentity = `${hostname()}:${process.pid}`;

/**
 * The headers and properties of a parked copy: the original properties, and why it was
 * parked. `userId` moves to a header (the broker refuses a user_id other than the
 * publishing connection's) and `expiration` is dropped (a parked message must stay).
 */
export function parkedProperties(
  message: Message,
  why: ParkReason,
  now: Date = new Date(),
): Options.Publish {
  const { userId, expiration: _expiration, headers, ...rest } = message.properties;
  const options: Options.Publish = {};
  for (const [key, value] of Object.entries(rest))
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  options.deliveryMode = 2;
  options.headers = {
    ...(headers ?? {}),
    'x-feed-error': why.reason,
    'x-feed-error-code': why.code,
    'x-feed-parked-at': now.toISOString(),
    'x-feed-worker': workerIdentity,
    'x-feed-original-exchange': message.fields.exchange,
    'x-feed-original-routing-key': message.fields.routingKey,
    ...(userId === undefined ? {} : { 'x-feed-original-user-id': userId }),
  };
  return options;
}

/**
 * Parks messages in `feed.dead` over a confirm channel on a connection of its own, so a
 * blocked or closed consumer channel can never deadlock parking. `park` resolves only once
 * the broker confirmed the copy; only then may the original be acked.
 */
export class Parker {
  readonly #options: ParkerOptions;
  #channel: Promise<ConfirmChannel> | undefined;
  #connection: ChannelModel | undefined;
  #attempt = 0;
  #closed = false;

  constructor(options: ParkerOptions) {
    this.#options = options;
  }

  async park(message: Message, why: ParkReason): Promise<void> {
    const channel = await this.#open();
    const timeoutMs = this.#options.confirmTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no confirm for a parked message within ${timeoutMs} ms`));
        // A confirm that never came leaves the channel suspect: start over next time.
        void this.#reset();
      }, timeoutMs);
      try {
        channel.sendToQueue(
          topology.deadLetterQueue,
          message.content,
          parkedProperties(message, why),
          (error: unknown) => {
            clearTimeout(timer);
            if (error) reject(error instanceof Error ? error : new Error(String(error)));
            else resolve();
          },
        );
      } catch (error) {
        clearTimeout(timer);
        void this.#reset();
        reject(error);
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reset();
  }

  #open(): Promise<ConfirmChannel> {
    if (this.#closed) return Promise.reject(new Error('parker closed'));
    this.#channel ??= this.#connect().catch((error: unknown) => {
      this.#channel = undefined;
      throw error;
    });
    return this.#channel;
  }

  async #connect(): Promise<ConfirmChannel> {
    const url = urlForAttempt(this.#options.urls, this.#attempt++);
    const connection = await amqpConnect(url, {
      heartbeatS: this.#options.heartbeatS,
      timeoutMs: 10_000,
      name: `feed-worker parking ${workerIdentity}`,
    });
    this.#connection = connection;
    const forget = (error?: Error) => {
      if (this.#connection !== connection) return;
      this.#options.logger.warn({ err: error }, 'parking connection closed');
      this.#connection = undefined;
      this.#channel = undefined;
    };
    connection.on('error', forget);
    connection.on('close', forget);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => {});
      channel.on('close', () => {
        if (this.#connection === connection) void this.#reset();
      });
      this.#options.logger.info({ url: redactUrl(url) }, 'parking connection open');
      if (this.#closed) throw new Error('parker closed');
      return channel;
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  async #reset(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#channel = undefined;
    if (connection !== undefined) await connection.close().catch(() => {});
  }
}
