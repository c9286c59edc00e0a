import { createHash, randomUUID } from 'node:crypto';
import { FeedError, FeedErrorCode, amqpConnectAny, topology } from '@feed/contracts';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type GetMessage,
} from 'amqplib';
import { keptProperties, parkIdHeader, replayProperties } from './parkedMessage.js';

/** What a sweep does with one parked message. */
export type Verdict = 'keep' | 'replay' | 'drop';

export interface SweepProgress {
  done: number;
  total: number;
}

export interface SweepOptions {
  /** Broker nodes: the first that answers is used (amqpConnectAny). */
  urls: readonly string[];
  /** Shown in `rabbitmqctl list_connections`, e.g. `feed-dead replay`. */
  name: string;
  /** Default 10. */
  heartbeatS?: number;
  /** Messages taken before one wait for the broker's confirms. Default 200. */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (progress: SweepProgress) => void;
}

export interface SweepResult {
  /** Messages taken from feed.dead. */
  swept: number;
  kept: number;
  replayed: number;
  dropped: number;
  /** Second copies of one parked message (left by a sweep cut short), removed. */
  duplicates: number;
}

/**
 * The exclusive queue that makes one sweep run at a time across every CLI and service
 * replica: the broker lets one connection own it and drops it with that connection.
 */
export const sweepLockQueue = 'feed.dead.sweep-lock';

/** AMQP 405: the lock queue belongs to another connection. */
const RESOURCE_LOCKED = 405;
/** AMQP 404: feed.dead does not exist, so nothing is parked. */
const NOT_FOUND = 404;

/** Tells a copy of a message apart from another message that reuses its park id. */
function copyKey(message: GetMessage, parkId: string): string {
  const parkedAt = String(message.properties.headers?.['x-feed-parked-at'] ?? '');
  const digest = createHash('sha256').update(message.content).digest('hex');
  return `${parkId}\n${parkedAt}\n${digest}`;
}

/** A connection, and the user it logged in as (amqplib's default: guest). */
async function open(options: SweepOptions): Promise<{ connection: ChannelModel; user: string }> {
  try {
    const { connection, url } = await amqpConnectAny(connect, options.urls, {
      first: 0,
      heartbeatS: options.heartbeatS ?? 10,
      timeoutMs: 10_000,
      name: options.name,
    });
    return { connection, user: decodeURIComponent(new URL(url).username) || 'guest' };
  } catch (error) {
    throw new FeedError(
      FeedErrorCode.BrokerUnavailable,
      `no broker answered: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function takeLock(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  try {
    await channel.assertQueue(sweepLockQueue, {
      exclusive: true,
      durable: false,
      autoDelete: true,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === RESOURCE_LOCKED)
      throw new FeedError(
        FeedErrorCode.DeadBusy,
        'another dead-letter operation is running on feed.dead; run this one when it ends',
        { cause: error },
      );
    throw error;
  }
  return channel;
}

/** Ready messages in feed.dead, or undefined when it does not exist. */
async function depth(connection: ChannelModel): Promise<number | undefined> {
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  try {
    return (await channel.checkQueue(topology.deadLetterQueue)).messageCount;
  } catch (error) {
    if ((error as { code?: unknown }).code === NOT_FOUND) return undefined;
    throw error;
  } finally {
    await channel.close().catch(() => {});
  }
}

/**
 * One pass over feed.dead: takes each message that was parked when it started, and for each
 * either publishes it back to feed.dead ('keep'), publishes it to feed.events with its
 * original properties ('replay'), or neither ('drop'). A message is acked (removed) only
 * after the broker confirmed its copy, so a cut connection loses nothing: what was not acked
 * returns to feed.dead, at worst beside its confirmed copy, and the next sweep removes such
 * second copies. Nothing is ever rejected back to the queue, so a browse never raises a
 * quorum queue's delivery count toward a delivery limit; the kept copies are fresh messages,
 * in the same order, behind the ones parked since.
 */
export async function sweep(
  options: SweepOptions,
  decide: (message: GetMessage, parkId: string) => Verdict,
): Promise<SweepResult> {
  const result: SweepResult = { swept: 0, kept: 0, replayed: 0, dropped: 0, duplicates: 0 };
  const { connection, user } = await open(options);
  connection.on('error', () => {});
  try {
    await takeLock(connection);
    const total = await depth(connection);
    if (total === undefined || total === 0) return result;
    const channel: ConfirmChannel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    let returned = 0;
    channel.on('return', () => {
      returned += 1;
    });
    const seen = new Set<string>();
    const batchSize = options.batchSize ?? 200;
    try {
      while (result.swept < total) {
        const batch: GetMessage[] = [];
        while (batch.length < batchSize && result.swept + batch.length < total) {
          const message = await channel.get(topology.deadLetterQueue, { noAck: false });
          if (message === false) break;
          batch.push(message);
        }
        if (batch.length === 0) break;
        for (const message of batch) {
          const parkId = message.properties.headers?.[parkIdHeader];
          const id = typeof parkId === 'string' ? parkId : `dead:${randomUUID()}`;
          const key = copyKey(message, id);
          if (seen.has(key)) {
            result.duplicates += 1;
            continue;
          }
          seen.add(key);
          const verdict = decide(message, id);
          if (verdict === 'keep') {
            channel.sendToQueue(topology.deadLetterQueue, message.content, {
              ...keptProperties(message, id),
              mandatory: true,
            });
            result.kept += 1;
          } else if (verdict === 'replay') {
            channel.sendToQueue(topology.queue, message.content, {
              ...replayProperties(message, user),
              mandatory: true,
            });
            result.replayed += 1;
          } else result.dropped += 1;
        }
        await channel.waitForConfirms();
        // The broker sends a return before the confirm of the same message.
        if (returned > 0)
          throw new FeedError(
            FeedErrorCode.BrokerUnavailable,
            `${returned} message(s) could not be routed (is ${topology.queue} declared?); this batch stays parked`,
          );
        // Confirmed: only now may the originals go.
        channel.ack(batch[batch.length - 1]!, true);
        result.swept += batch.length;
        options.onProgress?.({ done: result.swept, total });
      }
      // Acks are not confirmed; closing the channel flushes them before the lock goes.
      await channel.close();
    } catch (error) {
      if (error instanceof FeedError) throw error;
      throw new FeedError(
        FeedErrorCode.BrokerUnavailable,
        `the broker connection failed after ${result.swept} of ${total} messages: ${(error as Error).message}. Nothing is lost: what was not confirmed stays parked; run it again`,
        { cause: error },
      );
    }
    return result;
  } finally {
    await connection.close().catch(() => {});
  }
}
