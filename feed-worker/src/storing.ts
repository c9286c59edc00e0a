import {
  FeedErrorCode,
  abortableSleep,
  backoffDelay,
  boundedText,
  type FeedEvent,
  type LoopLogger,
} from '@feed/contracts';
import { classifyDatabaseError, SqlState, type StoreEventsResult } from '@feed/store';
import { halves } from './bisect.js';

export interface StoreItem<M> {
  message: M;
  events: readonly FeedEvent[];
}

/** An event the database refuses for its data: it is parked, the rest are stored. */
export interface RefusedEvent {
  /** Its place in the message (0 for a single event). */
  index: number;
  event: FeedEvent;
  code: FeedErrorCode;
  reason: string;
}

export interface StoringResult<M> {
  /** New rows. */
  stored: number;
  /** Events already stored (redelivery, a publisher's retry, a repeat inside the batch). */
  duplicates: number;
  reactions: number;
  /** Per message, the events the database refused. */
  refused: Map<M, RefusedEvent[]>;
}

export interface StoringOptions {
  /** One transaction: `storeEvents` of the store, on the worker's pool. */
  store: (events: FeedEvent[]) => Promise<StoreEventsResult>;
  /** Rejects when the database does not take the feed's writes at all (`probeWrite`). */
  probe: () => Promise<void>;
  /** Most events in one transaction: a bulk message is stored in parts of this size. */
  maxEventsPerTransaction: number;
  logger: LoopLogger;
  /** Backoff for passing failures, ms. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Errors of unknown kind on one group before asking whether the database itself works. */
  unknownAttempts: number;
  /** True once nobody can ack these messages (channel lost, shutdown deadline): give up. */
  abandoned: () => boolean;
  signal: AbortSignal;
  onRetry?: (kind: 'transient' | 'unknown', error: unknown) => void;
}

export class AbandonedError extends Error {
  override readonly name = 'AbandonedError';
}

/** A slice of one message's events: the unit that transactions are made of. */
interface Part<M> {
  message: M;
  /** Index of `events[0]` in the message. */
  offset: number;
  events: readonly FeedEvent[];
}

/**
 * Stores the events of a batch of messages, at most `maxEventsPerTransaction` in one
 * transaction, so a bulk message of ten thousand events holds no transaction for long and
 * commits part by part (a redelivery completes it: the unique key absorbs what was stored).
 * A group the database refuses for its data is split until the refused events are alone, so
 * one bad event never holds back or drops its neighbours, not even those of its own message.
 * Passing failures are retried with backoff while the batch stays in hand. An error of unknown
 * kind is retried a few times, then the database is probed with a write: if it takes writes,
 * the rows are the cause and are refused (and that error refuses at once for the rest of this
 * batch), else the failure is the database's and the retries go on.
 */
export async function storeItems<M>(
  items: ReadonlyArray<StoreItem<M>>,
  options: StoringOptions,
): Promise<StoringResult<M>> {
  const result: StoringResult<M> = { stored: 0, duplicates: 0, reactions: 0, refused: new Map() };
  const rowFaults = new Set<string>();
  // An explicit stack of groups still to store, earliest on top (no recursion).
  const stack = transactions(items, options.maxEventsPerTransaction).reverse();
  while (stack.length > 0) {
    const group = stack.pop()!;
    const failure = await writeWithRetry(group, result, rowFaults, options);
    if (failure === undefined) continue;
    if (group.length === 1 && group[0]!.events.length === 1) {
      const part = group[0]!;
      refuse(result, part.message, part.offset, part.events[0]!, failure);
    } else {
      const [first, second] = split(group);
      stack.push(second, first);
    }
  }
  return result;
}

/** Cuts the messages into parts and packs them, in order, into transactions. */
function transactions<M>(items: ReadonlyArray<StoreItem<M>>, max: number): Array<Array<Part<M>>> {
  const groups: Array<Array<Part<M>>> = [];
  let group: Array<Part<M>> = [];
  let size = 0;
  for (const { message, events } of items)
    for (let offset = 0; offset < events.length; offset += max) {
      const part = { message, offset, events: events.slice(offset, offset + max) };
      if (size + part.events.length > max && group.length > 0) {
        groups.push(group);
        group = [];
        size = 0;
      }
      group.push(part);
      size += part.events.length;
    }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Two halves of a refused group: by parts, or a lone part by its events. */
function split<M>(group: Array<Part<M>>): [Array<Part<M>>, Array<Part<M>>] {
  if (group.length > 1) return halves(group);
  const part = group[0]!;
  const [a, b] = halves(part.events);
  return [
    [{ message: part.message, offset: part.offset, events: a }],
    [{ message: part.message, offset: part.offset + a.length, events: b }],
  ];
}

function refuse<M>(
  result: StoringResult<M>,
  message: M,
  index: number,
  event: FeedEvent,
  failure: unknown,
): void {
  const error = failure as { code?: unknown; message?: unknown };
  const sqlstate = typeof error.code === 'string' ? ` (SQLSTATE ${error.code})` : '';
  const refused = result.refused.get(message) ?? [];
  refused.push({
    index,
    event,
    code: FeedErrorCode.Refused,
    reason: `the database refused the event: ${boundedText(String(error.message), 200)}${sqlstate}`,
  });
  result.refused.set(message, refused);
}

/** Writes one group; returns undefined once committed, or the error that refuses it. */
async function writeWithRetry<M>(
  group: ReadonlyArray<Part<M>>,
  result: StoringResult<M>,
  rowFaults: Set<string>,
  options: StoringOptions,
): Promise<unknown> {
  const events = group.flatMap((part) => part.events);
  let unknownFailures = 0;
  for (let attempt = 0; ; attempt += 1) {
    if (options.abandoned()) throw new AbandonedError('the batch can no longer be acked');
    try {
      const written = await options.store(events);
      result.stored += written.stored;
      result.duplicates += written.duplicates;
      result.reactions += written.reactions;
      return undefined;
    } catch (error) {
      const kind = classifyDatabaseError(error);
      if (kind === 'data') return error;
      if (kind === 'unknown') {
        const fault = faultOf(error);
        // A statement timeout may be the database's moment, not the rows': each group gets
        // its own bounded tries.
        if (rowFaults.has(fault) && fault !== SqlState.QueryCanceled) return error;
        unknownFailures += 1;
        if (unknownFailures >= options.unknownAttempts && (await takesWrites(options))) {
          rowFaults.add(fault);
          return error;
        }
      }
      options.onRetry?.(kind, error);
      const delayMs = backoffDelay(attempt, {
        minMs: options.retryMinMs,
        maxMs: options.retryMaxMs,
      });
      options.logger.warn(
        { err: error, kind, attempt: attempt + 1, delayMs, events: events.length },
        'storing the batch failed; keeping it and retrying after delay',
      );
      await abortableSleep(delayMs, options.signal);
    }
  }
}

function faultOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' ? code : String(message);
}

async function takesWrites(options: StoringOptions): Promise<boolean> {
  try {
    await options.probe();
    return true;
  } catch (error) {
    options.logger.warn(
      { err: error },
      'the database does not take writes; the batch is kept and retried',
    );
    return false;
  }
}
