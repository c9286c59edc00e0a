import {
  FeedErrorCode,
  abortableSleep,
  backoffDelay,
  boundedText,
  parseMessage,
  type FeedEvent,
  type ParseResult,
} from '@feed/contracts';
import type { StoreEventsResult } from '@feed/store';
import type { ConsumeMessage } from 'amqplib';
import type { Batcher } from './batcher.js';
import type { Consumer } from './consumer.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { outcomeOf } from './outcome.js';
import { UnparkableError, type ParkOutcome, type ParkRequest } from './park.js';
import { AbandonedError, storeItems, type StoreItem } from './storing.js';
import { checkSourceUser, type SourceUsers } from './sourceUsers.js';

/**
 * The `source` and `id` a rejected body names for itself, cut short, so the log lines about it
 * can be found by what its sender knows it as.
 */
function claimedIdentity(content: Buffer): { source?: string; id?: string } | undefined {
  if (content.byteLength > 1024 * 1024) return undefined;
  try {
    const body: unknown = JSON.parse(content.toString('utf8'));
    const record = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | null;
    if (typeof record !== 'object' || record === null) return undefined;
    const text = (value: unknown) =>
      typeof value === 'string' || typeof value === 'number'
        ? boundedText(String(value), 100)
        : undefined;
    return { source: text(record.source), id: text(record.id) };
  } catch {
    return undefined;
  }
}

/** Memory of one parsed event beyond its JSON text (a 1 MiB body of 100,000 events: 26 MB). */
const eventOverheadBytes = 260;

/** One message as the pipeline holds it: the consumer that delivered it acks it. */
export interface Delivery {
  message: ConsumeMessage;
  consumer: Consumer;
}

export interface PipelineOptions {
  batcher: Batcher<Delivery>;
  /** One transaction of events (`storeEvents` on the worker's pool). */
  store: (events: FeedEvent[]) => Promise<StoreEventsResult>;
  /** Rejects when the database takes no writes at all (`probeWrite`). */
  probe: () => Promise<void>;
  park: (request: ParkRequest) => Promise<ParkOutcome>;
  metrics: Metrics;
  logger: Logger;
  /** Batches stored at the same time; acks stay correct in any order (AckTracker). */
  batchesInFlight: number;
  maxEventsPerTransaction: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Unknown database errors before probing whether the message is the cause. */
  unknownAttempts: number;
  /** Aborts at the shutdown deadline: what is in hand is given up and redelivered. */
  deadline: AbortSignal;
  /** The database answered (true) or failed for a passing reason (false). */
  onDatabase: (ok: boolean) => void;
  /** Whether the worker is stopping: an empty batch then ends the loop. */
  stopping: () => boolean;
  /** WORKER_SOURCE_USERS: who may publish as which source. Undefined: anyone as any. */
  sourceUsers?: SourceUsers;
}

export interface Pipeline {
  /** Takes batches until the batcher is closed and empty; resolves when they are done. */
  run(): Promise<void>;
  /** Resolves when every park in progress is settled (or given up). */
  parksSettled(): Promise<void>;
  /** True while a batch is being stored or a message parked. */
  busy(): boolean;
  batches(): number;
  /** What the pipeline is doing with a message, for readiness and logs. */
  describe(message: ConsumeMessage): string;
}

/**
 * Parse → store → park → ack, for batches of deliveries. Stored messages are acked right
 * after their commit; a message to park is acked once the broker confirmed its parked copy,
 * apart from the batch, so a park waiting on the broker never holds up the messages behind.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { metrics, logger, deadline } = options;
  const parks = new Set<Promise<void>>();
  const context = new WeakMap<
    ConsumeMessage,
    { source?: string; eventId?: string; phase: string }
  >();
  let inFlight = 0;
  let batches = 0;

  function parse(delivery: Delivery): ParseResult {
    const { message } = delivery;
    let parsed: ParseResult;
    try {
      parsed = parseMessage(message.content, message.properties);
      if (parsed.ok && options.sourceUsers !== undefined)
        parsed = checkSourceUser(parsed.events, message.properties.userId, options.sourceUsers);
    } catch (error) {
      // No rule names this failure: park the message so that it stops nothing.
      parsed = {
        ok: false,
        code: FeedErrorCode.Internal,
        reason: `the worker failed to read the message: ${boundedText(String(error), 300)}`,
      };
    }
    // Parsed events cost memory of their own (measured: about 260 bytes each beyond their
    // JSON): the byte budget counts them, so a bulk message of tiny events weighs what it holds.
    if (parsed.ok && parsed.events.length > 1)
      delivery.consumer.reweigh(
        message,
        message.content.byteLength * 2 + parsed.events.length * eventOverheadBytes,
      );
    const first = parsed.ok ? parsed.events[0] : claimedIdentity(message.content);
    context.set(message, {
      source: first?.source ?? message.properties.appId,
      eventId: first?.id ?? message.properties.messageId,
      phase: 'storing',
    });
    return parsed;
  }

  function messageLog(delivery: Delivery, parsed?: ParseResult): Logger {
    const known = context.get(delivery.message);
    return logger.child({
      source: known?.source,
      eventId: known?.eventId,
      ...(parsed?.ok && parsed.events.length > 1 ? { events: parsed.events.length } : {}),
    });
  }

  async function handleBatch(batch: Delivery[]): Promise<void> {
    const stopTimer = metrics.batchSeconds.startTimer();
    const live = batch.filter((delivery) => delivery.consumer.open);
    metrics.batchSize.observe(live.length);
    const parsed = live.map((delivery) => ({ delivery, result: parse(delivery) }));
    const items: Array<StoreItem<Delivery>> = [];
    for (const { delivery, result } of parsed)
      if (result.ok) items.push({ message: delivery, events: result.events });

    let stored;
    try {
      stored = await storeItems(items, {
        store: options.store,
        probe: options.probe,
        maxEventsPerTransaction: options.maxEventsPerTransaction,
        logger,
        retryMinMs: options.retryMinMs,
        retryMaxMs: options.retryMaxMs,
        unknownAttempts: options.unknownAttempts,
        abandoned: () => deadline.aborted || live.every((d) => !d.consumer.open),
        signal: deadline,
        onRetry: (kind) => {
          metrics.storeRetries.inc({ kind });
          options.onDatabase(false);
        },
      });
    } catch (error) {
      if (!(error instanceof AbandonedError)) throw error;
      logger.warn(
        { messages: live.length },
        'batch given up (channel lost or shutdown deadline); the broker redelivers it',
      );
      return;
    }
    options.onDatabase(true);
    metrics.stored.inc(stored.stored);
    metrics.duplicates.inc(stored.duplicates);
    metrics.reactions.inc(stored.reactions);

    const done = new Map<Consumer, ConsumeMessage[]>();
    for (const { delivery, result } of parsed) {
      const outcome = outcomeOf(result, stored.refused.get(delivery));
      if (outcome.kind === 'stored') {
        const list = done.get(delivery.consumer) ?? [];
        list.push(delivery.message);
        done.set(delivery.consumer, list);
        continue;
      }
      startPark(delivery, { message: delivery.message, ...outcome }, messageLog(delivery, result));
    }
    // Ack only after the commit that holds the messages: a crash before this redelivers
    // them, and the unique key absorbs the copies.
    for (const [consumer, messages] of done) ackDone(consumer, messages);
    stopTimer();
  }

  function ackDone(consumer: Consumer, messages: ConsumeMessage[]): void {
    if (consumer.open) {
      consumer.acks.done(messages);
      metrics.acked.inc(messages.length);
    } else metrics.acksDropped.inc(messages.length);
  }

  function startPark(delivery: Delivery, request: ParkRequest, log: Logger): void {
    const job = parkUntilDone(delivery, request, log).finally(() => parks.delete(job));
    parks.add(job);
  }

  /** Parks one message, retrying for the broker's sake only (lost, blocked, unconfirmed). */
  async function parkUntilDone(delivery: Delivery, request: ParkRequest, log: Logger) {
    const known = context.get(delivery.message);
    for (let attempt = 0; ; attempt += 1) {
      // A message whose channel is gone is redelivered; parking it now would park it twice.
      if (!delivery.consumer.open || deadline.aborted) return;
      if (attempt === 0 && known !== undefined) known.phase = 'parking';
      try {
        const outcome = await options.park(request);
        metrics.parked.inc({ code: request.why.code });
        if (outcome === 'parked-minimal') metrics.parkedMinimal.inc();
        log.warn(
          { code: request.why.code, reason: boundedText(request.why.reason, 300), outcome },
          outcome === 'parked'
            ? 'message parked in feed.dead'
            : 'message parked in feed.dead without its original headers (they cannot be carried)',
        );
        ackDone(delivery.consumer, [delivery.message]);
        return;
      } catch (error) {
        if (error instanceof UnparkableError) {
          // Rejected without requeue, the broker dead-letters it to feed.dead through feed.dlx.
          metrics.deadLettered.inc();
          log.error(
            { err: error, code: request.why.code },
            'message cannot be parked; rejected so that the broker dead-letters it',
          );
          delivery.consumer.acks.reject(delivery.message);
          return;
        }
        metrics.parkRetries.inc();
        const delayMs = backoffDelay(attempt, {
          minMs: options.retryMinMs,
          maxMs: options.retryMaxMs,
        });
        if (known !== undefined)
          known.phase = `parking, retrying: ${boundedText((error as Error).message, 200)}`;
        log.warn({ err: error, attempt: attempt + 1, delayMs }, 'parking failed; retrying');
        await abortableSleep(delayMs, deadline);
      }
    }
  }

  async function run(): Promise<void> {
    const running = new Set<Promise<void>>();
    for (;;) {
      while (running.size >= options.batchesInFlight) await Promise.race(running);
      const batch = await options.batcher.next();
      if (batch.length === 0) {
        if (options.stopping()) {
          await Promise.all(running);
          return;
        }
        continue;
      }
      inFlight += 1;
      const job = handleBatch(batch)
        .catch((error: unknown) => {
          // Not expected: end the consumers concerned so their messages are redelivered
          // rather than held unacked.
          logger.error(
            { err: error },
            'batch failed unexpectedly; its messages will be redelivered',
          );
          for (const consumer of new Set(batch.map((d) => d.consumer)))
            consumer.end('batch failed');
        })
        .finally(() => {
          inFlight -= 1;
          batches += 1;
          running.delete(job);
        });
      running.add(job);
    }
  }

  return {
    run,
    parksSettled: async () => {
      while (parks.size > 0) await Promise.allSettled([...parks]);
    },
    busy: () => inFlight > 0 || parks.size > 0,
    batches: () => batches,
    describe: (message) => {
      const known = context.get(message);
      const id = `${known?.source ?? '?'}/${known?.eventId ?? '?'} (delivery ${message.fields.deliveryTag})`;
      return known === undefined ? `${id}, waiting for its batch` : `${id}, ${known.phase}`;
    },
  };
}
