import { FeedError, FeedErrorCode } from '@feed/contracts';
import { describeParked, type ParkedMessage } from './parkedMessage.js';
import { selects, type MessagePredicate, type Selection } from './selection.js';
import { sweep, type SweepOptions, type SweepProgress, type SweepResult } from './sweep.js';

export interface DeadLettersOptions {
  /** Broker nodes (AMQP_URL), tried in turn. */
  urls: readonly string[];
  /** Shown in `rabbitmqctl list_connections` before the operation's name. Default `feed-dead`. */
  name?: string;
  heartbeatS?: number;
  batchSize?: number;
}

export interface ListOptions {
  /** Only these (default: every parked message). */
  selection?: Selection;
  /** Most messages returned; the count covers them all. Default 100. */
  limit?: number;
  onProgress?: (progress: SweepProgress) => void;
}

export interface ListResult {
  /** Parked messages the selection takes. */
  total: number;
  /** The first `limit` of them, oldest first. */
  messages: ParkedMessage[];
  /** Counts by code, of the selected messages. */
  byCode: Record<string, number>;
  /** Second copies removed on the way (left by an operation cut short). */
  duplicates: number;
}

export interface OperationResult {
  /** Messages replayed into feed.events, or purged. */
  done: number;
  /** Messages left parked. */
  kept: number;
  duplicates: number;
}

/**
 * The operations on parked messages (feed.dead): list, show, replay and purge, and remove
 * for any predicate (erasure). Each is one sweep (see sweep.ts): a browse reads every parked
 * message once and puts it back, confirmed, so it costs one pass over the queue.
 */
export class DeadLetters {
  readonly #options: DeadLettersOptions;

  constructor(options: DeadLettersOptions) {
    this.#options = options;
  }

  #sweepOptions(operation: string, onProgress?: (progress: SweepProgress) => void): SweepOptions {
    return {
      urls: this.#options.urls,
      name: `${this.#options.name ?? 'feed-dead'} ${operation}`,
      ...(this.#options.heartbeatS === undefined ? {} : { heartbeatS: this.#options.heartbeatS }),
      ...(this.#options.batchSize === undefined ? {} : { batchSize: this.#options.batchSize }),
      ...(onProgress === undefined ? {} : { onProgress }),
    };
  }

  async list(options: ListOptions = {}): Promise<ListResult> {
    const limit = options.limit ?? 100;
    const wanted = options.selection === undefined ? () => true : selects(options.selection);
    const result: ListResult = { total: 0, messages: [], byCode: {}, duplicates: 0 };
    const swept = await sweep(this.#sweepOptions('list', options.onProgress), (message, id) => {
      if (!wanted(message)) return 'keep';
      // A message the broker dead-lettered gets its id from this sweep's copy.
      const parked = { ...describeParked(message), id };
      result.total += 1;
      result.byCode[parked.code] = (result.byCode[parked.code] ?? 0) + 1;
      if (result.messages.length < limit) result.messages.push(parked);
      return 'keep';
    });
    result.duplicates = swept.duplicates;
    return result;
  }

  /** One parked message by its id; FEED_ERR_DEAD_NOT_FOUND when none has it. */
  async show(id: string, onProgress?: (progress: SweepProgress) => void): Promise<ParkedMessage> {
    let found: ParkedMessage | undefined;
    await sweep(this.#sweepOptions('show', onProgress), (message, parkId) => {
      if (found === undefined && parkId === id) found = { ...describeParked(message), id };
      return 'keep';
    });
    if (found === undefined)
      throw new FeedError(FeedErrorCode.DeadNotFound, `no parked message has the id ${id}`);
    return found;
  }

  /** Publishes the selected messages to feed.events with their original properties. */
  replay(
    selection: Selection,
    onProgress?: (progress: SweepProgress) => void,
  ): Promise<OperationResult> {
    return this.#take('replay', selects(selection), 'replay', onProgress, selection);
  }

  /** Deletes the selected messages. */
  purge(
    selection: Selection,
    onProgress?: (progress: SweepProgress) => void,
  ): Promise<OperationResult> {
    return this.#take('purge', selects(selection), 'drop', onProgress, selection);
  }

  /** Deletes every parked message the predicate takes (an erased person's). */
  remove(
    predicate: MessagePredicate,
    onProgress?: (progress: SweepProgress) => void,
  ): Promise<OperationResult> {
    return this.#take('remove', predicate, 'drop', onProgress);
  }

  async #take(
    operation: string,
    predicate: MessagePredicate,
    verdict: 'replay' | 'drop',
    onProgress: ((progress: SweepProgress) => void) | undefined,
    selection?: Selection,
  ): Promise<OperationResult> {
    const swept: SweepResult = await sweep(this.#sweepOptions(operation, onProgress), (message) =>
      predicate(message) ? verdict : 'keep',
    );
    const done = verdict === 'replay' ? swept.replayed : swept.dropped;
    if (selection !== undefined && 'id' in selection && done === 0)
      throw new FeedError(
        FeedErrorCode.DeadNotFound,
        `no parked message has the id ${selection.id}`,
      );
    return { done, kept: swept.kept, duplicates: swept.duplicates };
  }
}
