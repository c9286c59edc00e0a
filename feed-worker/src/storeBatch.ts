import {
  FeedErrorCode,
  abortableSleep,
  backoffDelay,
  isReactionType,
  type FeedEvent,
} from '@feed/contracts';
import {
  applyReactions,
  classifyDatabaseError,
  insertEvents,
  withTransaction,
  type Pool,
} from '@feed/store';
import { afterRefusal } from './bisect.js';
import type { Logger } from './logger.js';

export interface ParsedMessage<M> {
  message: M;
  events: FeedEvent[];
}

export interface Refused<M> {
  message: M;
  code: FeedErrorCode;
  reason: string;
}

export interface StoreResult<M> {
  /** New rows. */
  stored: number;
  /** Events already stored (redelivery, a publisher's retry, a repeat inside the batch). */
  duplicates: number;
  reactions: number;
  /** Messages the database refuses for their data: to be parked. */
  refused: Array<Refused<M>>;
}

export interface StoreOptions {
  pool: Pool;
  logger: Logger;
  /** Backoff for passing failures, ms. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Unknown errors on one group before asking whether the database itself works. */
  unknownAttempts: number;
  /** True once nobody can ack these messages (channel lost, shutdown deadline): give up. */
  abandoned: () => boolean;
  signal: AbortSignal;
  onRetry?: (kind: 'transient' | 'unknown', error: unknown) => void;
}

export class AbandonedError extends Error {
  override readonly name = 'AbandonedError';
}

/**
 * Stores the events of a batch of messages with one statement in one transaction. On a
 * refusal for data, splits the batch until the refused messages are alone, so one bad
 * message never holds back or drops its neighbours. Passing failures are retried with
 * backoff while the batch stays in hand; an error of unknown kind is retried a few times,
 * then the database is probed: if it answers, the message is poison and is refused, else
 * the failure is the database's and the retries go on.
 */
export async function storeBatch<M>(
  messages: ReadonlyArray<ParsedMessage<M>>,
  options: StoreOptions,
): Promise<StoreResult<M>> {
  const result: StoreResult<M> = { stored: 0, duplicates: 0, reactions: 0, refused: [] };
  // An explicit stack of groups still to store, earliest first (no recursion).
  const stack: Array<ReadonlyArray<ParsedMessage<M>>> = messages.length > 0 ? [messages] : [];
  while (stack.length > 0) {
    const group = stack.pop()!;
    const failure = await writeWithRetry(group, result, options);
    if (failure === undefined) continue;
    const step = afterRefusal(group);
    if ('park' in step) {
      const error = failure as { code?: unknown; message?: unknown };
      result.refused.push({
        message: step.park.message,
        code: FeedErrorCode.Refused,
        reason: `the database refused the message: ${String(error.message)}${
          typeof error.code === 'string' ? ` (SQLSTATE ${error.code})` : ''
        }`,
      });
    } else {
      stack.push(step.retry[1], step.retry[0]);
    }
  }
  return result;
}

/** Writes one group; returns undefined once committed, or the error that refuses it. */
async function writeWithRetry<M>(
  group: ReadonlyArray<ParsedMessage<M>>,
  result: StoreResult<M>,
  options: StoreOptions,
): Promise<unknown> {
  let unknownFailures = 0;
  for (let attempt = 0; ; attempt += 1) {
    if (options.abandoned()) throw new AbandonedError('the batch can no longer be acked');
    try {
      const written = await write(options.pool, group);
      result.stored += written.stored;
      result.duplicates += written.duplicates;
      result.reactions += written.reactions;
      return undefined;
    } catch (error) {
      const kind = classifyDatabaseError(error);
      if (kind === 'data') return error;
      if (kind === 'unknown') {
        unknownFailures += 1;
        if (unknownFailures >= options.unknownAttempts && (await databaseAnswers(options.pool)))
          return error;
      }
      options.onRetry?.(kind, error);
      const delayMs = backoffDelay(attempt, {
        minMs: options.retryMinMs,
        maxMs: options.retryMaxMs,
      });
      options.logger.warn(
        { err: error, kind, attempt: attempt + 1, delayMs, messages: group.length },
        'storing the batch failed; keeping it and retrying after delay',
      );
      await abortableSleep(delayMs, options.signal);
    }
  }
}

async function write<M>(
  pool: Pool,
  group: ReadonlyArray<ParsedMessage<M>>,
): Promise<{ stored: number; duplicates: number; reactions: number }> {
  const events: FeedEvent[] = [];
  const reactions: FeedEvent[] = [];
  for (const { events: items } of group)
    for (const event of items) (isReactionType(event.type) ? reactions : events).push(event);
  return withTransaction(pool, async (client) => {
    // insertEvents also counts the reactions that arrived before their event.
    const inserted = await insertEvents(client, events);
    await applyReactions(client, reactions);
    return {
      stored: inserted.length,
      duplicates: events.length - inserted.length,
      reactions: reactions.length,
    };
  });
}

/** Whether the database works at all for this worker: its table answers a trivial query. */
async function databaseAnswers(pool: Pool): Promise<boolean> {
  try {
    await pool.query('select 1 from feed_events limit 0');
    return true;
  } catch {
    return false;
  }
}
