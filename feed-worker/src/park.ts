import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  amqpConnectAny,
  boundedText,
  declareTopology,
  redactUrl,
  topology,
  type QueueType,
} from '@feed/contracts';
import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import { connect } from 'amqplib';
import type { Logger } from './logger.js';

export interface ParkReason {
  code: string;
  reason: string;
}

/** One message to park: the original, why, and for a bulk message its refused events only. */
export interface ParkRequest {
  message: Message;
  why: ParkReason;
  /** Replaces the body (a bulk message parks only the events the database refused). */
  body?: Buffer;
  /** More `x-feed-*` headers. */
  headers?: Record<string, string>;
}

export interface ParkerOptions {
  urls: readonly string[];
  heartbeatS: number;
  /** Declared again when feed.dead turns out to be missing. */
  queueType: QueueType;
  logger: Logger;
  /** How long a park may wait for the broker's confirm, ms. */
  confirmTimeoutMs?: number;
}

/** How a message was parked: whole, or without its original headers and properties. */
export type ParkOutcome = 'parked' | 'parked-minimal';

/** Neither the copy nor the minimal copy can be encoded: the message cannot be parked. */
export class UnparkableError extends Error {
  override readonly name = 'UnparkableError';
}

/** A reason stays readable and small, whatever the message quoted into it. */
const maxReasonLength = 1000;

/** Identifies this process in `x-feed-worker`. */
export const workerIdentity = `${hostname()}:${process.pid}`;

/**
 * Starts every park id of this process. The random part keeps ids unique where the host name
 * and the pid repeat (a restarted container is pid 1 again): feed-dead tells copies apart by it.
 */
const parkIdPrefix = `${workerIdentity}:${randomBytes(4).toString('hex')}`;

function feedHeaders(request: ParkRequest, now: Date): Record<string, string> {
  const { message, why } = request;
  return {
    'x-feed-error': boundedText(why.reason, maxReasonLength),
    'x-feed-error-code': boundedText(why.code, 100),
    'x-feed-parked-at': now.toISOString(),
    'x-feed-worker': workerIdentity,
    'x-feed-original-exchange': message.fields.exchange,
    'x-feed-original-routing-key': message.fields.routingKey,
    ...request.headers,
  };
}

/**
 * The headers and properties of a parked copy: the original properties, and why it was
 * parked. `userId` moves to a header (the broker refuses a user_id other than the
 * publishing connection's) and `expiration` is dropped (a parked message must stay).
 */
export function parkedProperties(
  message: Message,
  why: ParkReason,
  now: Date = new Date(),
  request: ParkRequest = { message, why },
): Options.Publish {
  const { userId, expiration: _expiration, headers, ...rest } = message.properties;
  const options: Options.Publish = {};
  for (const [key, value] of Object.entries(rest))
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  options.deliveryMode = 2;
  options.headers = {
    ...(headers ?? {}),
    ...feedHeaders(request, now),
    ...(userId === undefined ? {} : { 'x-feed-original-user-id': userId }),
  };
  return options;
}

/**
 * The copy that can always be encoded: the feed's own headers, bounded, and the properties
 * that say what the message was; the original headers and other properties are dropped, and
 * `x-feed-dropped` says so. Used when the whole copy cannot be sent (headers near the 64 KiB
 * a field table may take, values AMQP cannot carry).
 */
export function minimalParkedProperties(
  request: ParkRequest,
  dropped: string,
  now: Date = new Date(),
): Options.Publish {
  const { contentType, messageId, appId, type, timestamp } = request.message.properties;
  const short = (value: unknown) =>
    typeof value === 'string' && Buffer.byteLength(value) < 256 ? value : undefined;
  const options: Options.Publish = {
    deliveryMode: 2,
    headers: { ...feedHeaders(request, now), 'x-feed-dropped': boundedText(dropped, 300) },
  };
  if (short(contentType) !== undefined) options.contentType = contentType as string;
  if (short(messageId) !== undefined) options.messageId = messageId as string;
  if (short(appId) !== undefined) options.appId = appId as string;
  if (short(type) !== undefined) options.type = type as string;
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) options.timestamp = timestamp;
  return options;
}

/** Errors of the copy itself (it cannot be encoded), as opposed to the broker's. */
function isCopyFault(error: unknown): boolean {
  return error instanceof RangeError || error instanceof TypeError;
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
  #nextNode = 0;
  #closed = false;
  #parkId = 0;
  /** Park ids the broker returned as unroutable: feed.dead does not exist. */
  readonly #returned = new Set<string>();
  #declare = false;

  constructor(options: ParkerOptions) {
    this.#options = options;
  }

  /**
   * Parks one message and resolves once the broker confirmed the copy. When the copy cannot
   * be encoded, the minimal copy goes instead ('parked-minimal'); when neither can, it throws
   * UnparkableError. Any other error is the broker's (connection lost, blocked, no confirm in
   * time, a nack) and the same park can be tried again.
   */
  async park(request: ParkRequest): Promise<ParkOutcome> {
    const channel = await this.#open();
    if (this.#declare) {
      // Someone deleted feed.dead: declare it again rather than lose what is parked.
      await declareTopology(channel, { queueType: this.#options.queueType });
      this.#declare = false;
    }
    const content = request.body ?? request.message.content;
    let sent: Promise<void>;
    let outcome: ParkOutcome = 'parked';
    try {
      sent = this.#send(
        channel,
        content,
        parkedProperties(request.message, request.why, new Date(), request),
      );
    } catch (error) {
      if (!isCopyFault(error)) throw error;
      outcome = 'parked-minimal';
      const dropped = `the original headers and properties: ${(error as Error).message}`;
      try {
        sent = this.#send(channel, content, minimalParkedProperties(request, dropped));
      } catch (minimalError) {
        if (!isCopyFault(minimalError)) throw minimalError;
        throw new UnparkableError(
          `neither the copy nor a minimal copy can be encoded: ${(minimalError as Error).message}`,
          { cause: minimalError },
        );
      }
    }
    await sent;
    return outcome;
  }

  /**
   * Publishes one copy. Throws synchronously when amqplib cannot encode it (nothing was
   * written, the channel is intact); the promise rejects for the broker's reasons.
   */
  #send(channel: ConfirmChannel, content: Buffer, properties: Options.Publish): Promise<void> {
    const timeoutMs = this.#options.confirmTimeoutMs ?? 10_000;
    const parkId = `${parkIdPrefix}:${(this.#parkId += 1)}`;
    properties.headers = { ...properties.headers, 'x-feed-park-id': parkId };
    // Mandatory: a copy routed nowhere (feed.dead deleted) comes back instead of vanishing.
    properties.mandatory = true;
    let settle!: (error?: unknown) => void;
    const confirmed = new Promise<void>((resolve, reject) => {
      settle = (error?: unknown) =>
        error === undefined || error === null
          ? resolve()
          : reject(error instanceof Error ? error : new Error(String(error)));
    });
    channel.sendToQueue(topology.deadLetterQueue, content, properties, (error: unknown) => {
      clearTimeout(timer);
      // The broker sends a return before the confirm of the same message.
      if (this.#returned.delete(parkId) && (error === null || error === undefined))
        return settle(
          new Error('feed.dead does not exist (the copy was returned); declaring it again'),
        );
      settle(error);
    });
    const timer = setTimeout(() => {
      settle(new Error(`no confirm for a parked message within ${timeoutMs} ms`));
      // A confirm that never came leaves the channel suspect: start over next time.
      void this.#reset();
    }, timeoutMs);
    return confirmed;
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
    const { connection, url, index } = await amqpConnectAny(connect, this.#options.urls, {
      first: this.#nextNode,
      heartbeatS: this.#options.heartbeatS,
      timeoutMs: 10_000,
      name: `feed-worker parking ${workerIdentity}`,
    });
    // A later connection starts from the node after this one, should this one die.
    this.#nextNode = index + 1;
    this.#connection = connection;
    const forget = (error?: Error) => {
      if (this.#connection !== connection) return;
      this.#options.logger.warn({ err: error }, 'parking connection closed');
      this.#connection = undefined;
      this.#channel = undefined;
    };
    connection.on('error', forget);
    connection.on('close', forget);
    // Under a resource alarm the broker stops reading a connection that publishes: parks wait
    // for their confirms until it lifts (consuming goes on, on its own connection).
    connection.on('blocked', (reason: string) =>
      this.#options.logger.warn(
        { reason },
        'broker blocked the parking connection (resource alarm)',
      ),
    );
    connection.on('unblocked', () =>
      this.#options.logger.info('broker unblocked the parking connection'),
    );
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => {});
      channel.on('return', (returned: Message) => {
        const parkId = returned.properties.headers?.['x-feed-park-id'];
        if (typeof parkId === 'string') this.#returned.add(parkId);
        this.#declare = true;
      });
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
