import {
  FeedErrorCode,
  abortableSleep,
  backoffDelay,
  connectLoop,
  isFeedError,
  parseMessage,
  redactUrl,
  urlForAttempt,
} from '@feed/contracts';
import { createPool } from '@feed/store';
import type { ConsumeMessage } from 'amqplib';
import { Batcher } from './batcher.js';
import type { WorkerConfig } from './config.js';
import { startHealthServer } from './health.js';
import { createLogger, messageLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { Parker, workerIdentity, type ParkReason } from './park.js';
import { runSession, type Session } from './session.js';
import { AbandonedError, storeBatch, type ParsedMessage } from './storeBatch.js';

export interface WorkerOptions {
  logger?: Logger;
  /** Called before each connect attempt (tests observe the stack depth here). */
  onAttempt?: (attempt: number) => void;
  /** A session that lasted this long resets the backoff. Default 10 s. */
  healthyAfterMs?: number;
  /** How often the queue depth (consumer lag) is read, ms. Default 5 s; 0: never. */
  queueCheckIntervalMs?: number;
  /** Unknown database errors before probing whether the message is the cause. Default 3. */
  unknownAttempts?: number;
}

export interface WorkerStats {
  sessions: number;
  batches: number;
  buffered: number;
  /** True while a batch is being stored, parked or acked. */
  busy: boolean;
}

export interface WorkerHandle {
  /** Cancel the consumer, finish and ack the batch in hand, close everything. */
  stop(): Promise<void>;
  /** Consuming, broker connected, database reachable as last seen. */
  isReady(): boolean;
  /** Why the worker is not ready (checking the database now), or null. */
  readiness(): Promise<string | null>;
  /** Port of /healthz, /readyz, /metrics. */
  httpPort: number;
  /** Rejects when the worker stopped for an error no retry can fix (topology mismatch). */
  done: Promise<void>;
  metrics: Metrics;
  stats(): WorkerStats;
}

interface Delivery {
  message: ConsumeMessage;
  session: Session;
}

export async function startWorker(
  config: WorkerConfig,
  options: WorkerOptions = {},
): Promise<WorkerHandle> {
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty });
  const metrics = createMetrics();
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.dbPoolMax,
    applicationName: 'feed-worker',
    onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
  });
  // A client killed while checked out between two statements emits 'error' with no listener
  // of the pool's on it, which would end the process; the statement in flight fails anyway.
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.warn({ err: error }, 'database connection failed')),
  );
  const parker = new Parker({ urls: config.amqpUrls, heartbeatS: config.heartbeatS, logger });
  const batcher = new Batcher<Delivery>({
    maxSize: config.batchSize,
    maxWaitMs: config.batchWaitMs,
  });
  const loopController = new AbortController();
  // Aborts at the shutdown deadline: the batch in hand is given up (it will be redelivered).
  const deadline = new AbortController();
  let current: Session | undefined;
  let stopping = false;
  let databaseOk = true;
  let fatal: unknown;
  let sessions = 0;
  let batches = 0;
  let busy = 0;
  const pipelineDepth = 2;
  let connectAttempts = 0;

  const health = await startHealthServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: metrics.registry,
    readiness: () => readiness(),
  });
  logger.info({ port: health.port, host: config.httpHost }, 'health server listening');

  function notReadyReason(): string | null {
    if (fatal !== undefined) return `stopped: ${(fatal as Error).message}`;
    if (stopping) return 'stopping';
    if (current === undefined || !current.open) return 'not connected to the broker';
    if (!current.consuming) return 'no consumer attached';
    if (!databaseOk) return 'database unreachable';
    return null;
  }

  async function readiness(): Promise<string | null> {
    const reason = notReadyReason();
    if (reason !== null) return reason;
    try {
      await withTimeout(pool.query('select 1'), 2000, 'database check timed out');
      return null;
    } catch (error) {
      return `database unreachable: ${(error as Error).message}`;
    }
  }

  const updateReady = () => metrics.ready.set(notReadyReason() === null ? 1 : 0);

  function onDelivery(message: ConsumeMessage, session: Session): void {
    metrics.received.inc();
    // After the consumer is cancelled at shutdown, a message still in flight stays unacked
    // and returns to the queue when the channel closes.
    if (stopping) return;
    batcher.push({ message, session });
  }

  function onEnd(session: Session): void {
    // Their channel is gone: the broker redelivers them, possibly to another worker.
    batcher.remove((delivery) => delivery.session === session);
    updateReady();
  }

  /**
   * Two batches in flight: while one commits, the next is parsed, gets its connection and
   * waits for the insert lock, so the database never idles between batches. Acks stay in
   * delivery order: a batch acks only after the batch before it finished.
   */
  async function processLoop(): Promise<void> {
    const inFlight: Array<Promise<void>> = [];
    let previous: Promise<void> = Promise.resolve();
    for (;;) {
      if (inFlight.length >= pipelineDepth) await inFlight.shift();
      const batch = await batcher.next();
      if (batch.length === 0) {
        if (stopping) {
          await Promise.all(inFlight);
          return;
        }
        continue;
      }
      busy += 1;
      const prior = previous;
      const run = handleBatch(batch, prior)
        .catch((error: unknown) => {
          // Not expected: close the sessions concerned so their messages are redelivered
          // rather than held unacked.
          logger.error(
            { err: error },
            'batch failed unexpectedly; its messages will be redelivered',
          );
          for (const session of new Set(batch.map((d) => d.session))) session.end('batch failed');
        })
        .finally(() => {
          busy -= 1;
          batches += 1;
        });
      previous = run;
      inFlight.push(run);
    }
  }

  async function handleBatch(batch: Delivery[], prior: Promise<void>): Promise<void> {
    const stopTimer = metrics.batchSeconds.startTimer();
    const live = batch.filter((delivery) => delivery.session.open);
    metrics.batchSize.observe(live.length);
    const abandoned = () => deadline.signal.aborted || live.every((d) => !d.session.open);

    const parsed: Array<ParsedMessage<Delivery>> = [];
    const toPark: Array<{ delivery: Delivery; why: ParkReason }> = [];
    for (const delivery of live) {
      const result = parseMessage(delivery.message.content, delivery.message.properties);
      if (result.ok) parsed.push({ message: delivery, events: result.events });
      else toPark.push({ delivery, why: { code: result.code, reason: result.reason } });
    }

    try {
      const result = await storeBatch(parsed, {
        pool,
        logger,
        retryMinMs: config.reconnectMinMs,
        retryMaxMs: config.reconnectMaxMs,
        unknownAttempts: options.unknownAttempts ?? 3,
        abandoned,
        signal: deadline.signal,
        onRetry: (kind) => {
          metrics.storeRetries.inc({ kind });
          databaseOk = false;
          updateReady();
        },
      });
      databaseOk = true;
      updateReady();
      metrics.stored.inc(result.stored);
      metrics.duplicates.inc(result.duplicates);
      metrics.reactions.inc(result.reactions);
      for (const refused of result.refused)
        toPark.push({ delivery: refused.message, why: refused });
      await parkAll(toPark, abandoned);
    } catch (error) {
      if (!(error instanceof AbandonedError)) throw error;
      logger.warn(
        { messages: live.length },
        'batch given up (channel lost or shutdown deadline); the broker redelivers it',
      );
      return;
    }

    // Ack only after the commit (and the confirmed parks) that hold the messages, and after
    // the batch before this one is done: then acking the last tag of each channel with
    // `multiple` covers exactly messages that are done. (A batch given up leaves its
    // session closed or the deadline passed, so no later ack of that channel is sent.)
    await prior;
    const lastOfSession = new Map<Session, Delivery>();
    const counts = new Map<Session, number>();
    for (const delivery of live) {
      lastOfSession.set(delivery.session, delivery);
      counts.set(delivery.session, (counts.get(delivery.session) ?? 0) + 1);
    }
    for (const [session, last] of lastOfSession) {
      const n = counts.get(session)!;
      if (session.ackUpTo(last.message)) metrics.acked.inc(n);
      else metrics.acksDropped.inc(n);
    }
    stopTimer();
  }

  /** Parks each message and waits for the broker's confirms; broker trouble is retried. */
  async function parkAll(
    items: Array<{ delivery: Delivery; why: ParkReason }>,
    abandoned: () => boolean,
  ): Promise<void> {
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (abandoned()) throw new AbandonedError('the batch can no longer be acked');
      // A message whose channel is gone is redelivered; parking it now would park it twice.
      pending = pending.filter((item) => item.delivery.session.open);
      const results = await Promise.allSettled(
        pending.map((item) => parker.park(item.delivery.message, item.why)),
      );
      const failed: typeof pending = [];
      results.forEach((result, index) => {
        const item = pending[index]!;
        const log = messageLogger(logger, item.delivery.message.properties);
        if (result.status === 'fulfilled') {
          metrics.parked.inc({ code: item.why.code });
          log.warn({ code: item.why.code, reason: item.why.reason }, 'message parked in feed.dead');
        } else {
          failed.push(item);
          log.warn({ err: result.reason }, 'parking failed; retrying');
        }
      });
      pending = failed;
      if (pending.length > 0)
        await abortableSleep(
          backoffDelay(attempt, { minMs: config.reconnectMinMs, maxMs: config.reconnectMaxMs }),
          deadline.signal,
        );
    }
  }

  const processing = processLoop();

  const done = connectLoop({
    signal: loopController.signal,
    minMs: config.reconnectMinMs,
    maxMs: config.reconnectMaxMs,
    healthyAfterMs: options.healthyAfterMs ?? 10_000,
    logger,
    isFatal: (error) => isFeedError(error) && error.code === FeedErrorCode.TopologyMismatch,
    onAttempt: options.onAttempt,
    onRetry: () => metrics.reconnects.inc(),
    session: async (attempt) => {
      const url = urlForAttempt(config.amqpUrls, connectAttempts++);
      logger.info({ attempt: attempt + 1, url: redactUrl(url) }, 'connecting to the broker');
      await runSession({
        url,
        name: `feed-worker ${workerIdentity}`,
        heartbeatS: config.heartbeatS,
        queueType: config.queueType,
        prefetch: config.prefetch,
        logger,
        checkIntervalMs: options.queueCheckIntervalMs ?? 5000,
        onCheck: ({ messageCount, consumerCount }) => {
          metrics.lag.set(messageCount);
          metrics.consumers.set(consumerCount);
        },
        onDelivery,
        onEnd,
        onConsuming: (session) => {
          sessions += 1;
          current = session;
          if (stopping) {
            session.end('stopping');
            return;
          }
          updateReady();
          logger.info(
            { url: redactUrl(url), prefetch: config.prefetch, batchSize: config.batchSize },
            'consuming feed.events',
          );
        },
      });
    },
  }).catch((error: unknown) => {
    fatal = error;
    updateReady();
    logger.fatal({ err: error }, 'the worker cannot run; stopping');
    throw error;
  });
  // The caller observes `done`; this keeps an early fatal error from being unhandled.
  done.catch(() => {});

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopping = true;
    updateReady();
    logger.info({ timeoutMs: config.shutdownTimeoutMs }, 'stopping');
    // Keep a margin under the deadline for closing connections, the pool and the server.
    const timer = setTimeout(() => deadline.abort(), config.shutdownTimeoutMs * 0.7);
    const session = current;
    try {
      // 1. Stop taking messages.
      if (session?.open) await withTimeout(session.cancel(), 2000, 'cancel timed out');
    } catch (error) {
      logger.warn({ err: error }, 'cancelling the consumer failed');
    }
    // 2. Messages not started yet go back to the queue when the channel closes.
    const returned = batcher.remove(() => true).length;
    batcher.close();
    // 3. Finish and ack the batch in hand (or give it up at the deadline).
    await Promise.race([processing, aborted(deadline.signal)]);
    // 4. No reconnect; close the session and everything else.
    loopController.abort();
    await current?.close('stopping');
    await Promise.race([done.catch(() => {}), aborted(deadline.signal)]);
    await parker.close();
    await withTimeout(pool.end(), 2000, 'pool end timed out').catch(() => {});
    await health.close();
    clearTimeout(timer);
    logger.info({ returned, gaveUp: deadline.signal.aborted }, 'stopped');
  }

  return {
    stop: () => (stopped ??= stop()),
    isReady: () => notReadyReason() === null,
    readiness,
    httpPort: health.port,
    done,
    metrics,
    stats: () => ({ sessions, batches, buffered: batcher.size, busy: busy > 0 }),
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
