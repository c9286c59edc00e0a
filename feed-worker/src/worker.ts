import { FeedErrorCode, connectLoop, isFeedError, redactUrl } from '@feed/contracts';
import { createPool, probeWrite, storeEvents } from '@feed/store';
import { Batcher } from './batcher.js';
import type { WorkerConfig } from './config.js';
import type { Consumer } from './consumer.js';
import { runConsumer } from './consumerConnection.js';
import { startHealthServer } from './health.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { Parker, workerIdentity } from './park.js';
import { createPipeline, type Delivery } from './pipeline.js';

export interface WorkerOptions {
  logger?: Logger;
  /** Called before each connect attempt (tests observe the stack depth here). */
  onAttempt?: (attempt: number) => void;
  /** A broker connection that lasted this long resets the backoff. Default 10 s. */
  healthyAfterMs?: number;
  /** How often the queue depth (consumer lag) is read, ms. Default 5 s; 0: never. */
  queueCheckIntervalMs?: number;
  /** Unknown database errors before probing whether the message is the cause. Default 3. */
  unknownAttempts?: number;
}

export interface WorkerStats {
  /** Broker connections that reached consuming. */
  connections: number;
  batches: number;
  buffered: number;
  /** True while a batch is being stored, or a message parked. */
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

/** Wires the worker: pool, parking, pipeline, broker consumer, health server, shutdown. */
export async function startWorker(
  config: WorkerConfig,
  options: WorkerOptions = {},
): Promise<WorkerHandle> {
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty });
  const metrics = createMetrics();
  // createPool listens for errors on idle and checked-out clients alike.
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.dbPoolMax,
    applicationName: 'feed-worker',
    statementTimeoutMs: config.statementTimeoutMs === 0 ? undefined : config.statementTimeoutMs,
    onError: (error) => logger.warn({ err: error }, 'database connection failed'),
  });
  const parker = new Parker({
    urls: config.amqpUrls,
    heartbeatS: config.heartbeatS,
    queueType: config.queueType,
    logger,
  });
  const batcher = new Batcher<Delivery>({
    maxSize: config.batchSize,
    maxWaitMs: config.batchWaitMs,
  });
  const loopController = new AbortController();
  // Aborts at the shutdown deadline: the batch in hand is given up (it will be redelivered).
  const deadline = new AbortController();
  const state = {
    current: undefined as Consumer | undefined,
    stopping: false,
    databaseOk: true,
    fatal: undefined as unknown,
    connections: 0,
    nextNode: 0,
  };
  const updateReady = () => metrics.ready.set(notReadyReason() === null ? 1 : 0);

  const pipeline = createPipeline({
    sourceUsers: config.sourceUsers,
    batcher,
    store: (events) => storeEvents(pool, events),
    probe: () => probeWrite(pool),
    park: (request) => parker.park(request),
    metrics,
    logger,
    batchesInFlight: config.batchesInFlight,
    maxEventsPerTransaction: config.maxEventsPerTransaction,
    retryMinMs: config.reconnectMinMs,
    retryMaxMs: config.reconnectMaxMs,
    unknownAttempts: options.unknownAttempts ?? 3,
    deadline: deadline.signal,
    onDatabase: (ok) => {
      state.databaseOk = ok;
      updateReady();
    },
    stopping: () => state.stopping,
  });

  /** The oldest message holding up acks past the wait bound, described, or null. */
  function holdup(): string | null {
    const found = state.current?.acks.holdup();
    if (found === undefined || found.ageMs < config.ackWaitMs) return null;
    return `message ${pipeline.describe(found.message)} unfinished for ${Math.round(found.ageMs / 1000)} s, ${found.waiting} later messages finished`;
  }

  function notReadyReason(): string | null {
    if (state.fatal !== undefined) return `stopped: ${(state.fatal as Error).message}`;
    if (state.stopping) return 'stopping';
    if (state.current === undefined || !state.current.open) return 'not connected to the broker';
    // Paused for the byte budget is deliberate: it resumes as the messages in hand finish.
    if (!state.current.consuming && !state.current.paused) return 'no consumer attached';
    if (!state.databaseOk) return 'database unreachable';
    return holdup();
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

  const health = await startHealthServer({
    host: config.httpHost,
    port: config.httpPort,
    registry: metrics.registry,
    readiness,
    beforeMetrics: () => refreshGauges(),
  });
  logger.info({ port: health.port, host: config.httpHost }, 'health server listening');

  function refreshGauges() {
    const found = state.current?.acks.holdup();
    metrics.ackHoldup.set(found === undefined ? 0 : found.ageMs / 1000);
    metrics.bytesInHand.set(state.current?.acks.bytes ?? 0);
    metrics.bytesInHandPeak.set(state.current?.acks.peakBytes ?? 0);
    metrics.paused.set(state.current?.paused === true ? 1 : 0);
    updateReady();
    return found;
  }

  // A message that holds up acks is named in a log line once, and its age is a metric.
  let reported: unknown;
  const watchdog = setInterval(() => {
    const found = refreshGauges();
    if (found === undefined || found.ageMs < config.ackWaitMs || reported === found.message) return;
    reported = found.message;
    logger.warn({ holdup: holdup() }, 'a message holds up the acks of the messages after it');
  }, 1000);
  watchdog.unref();

  const processing = pipeline.run();

  const done = connectLoop({
    signal: loopController.signal,
    minMs: config.reconnectMinMs,
    maxMs: config.reconnectMaxMs,
    healthyAfterMs: options.healthyAfterMs ?? 10_000,
    // A consumer lost after a second of work goes to another node at once (its node died).
    atOnceAfterMs: config.amqpUrls.length > 1 ? 1000 : undefined,
    logger,
    isFatal: (error) => isFeedError(error) && error.code === FeedErrorCode.TopologyMismatch,
    onAttempt: options.onAttempt,
    onRetry: () => metrics.reconnects.inc(),
    connection: async (attempt) => {
      let url = '';
      logger.info({ attempt: attempt + 1 }, 'connecting to the broker');
      await runConsumer({
        urls: config.amqpUrls,
        firstNode: state.nextNode,
        onConnected: (connectedUrl, index) => {
          url = connectedUrl;
          // The next connection starts from the node after this one: if this one dies, the
          // next attempt does not meet it first.
          state.nextNode = index + 1;
        },
        name: `feed-worker ${workerIdentity}`,
        heartbeatS: config.heartbeatS,
        queueType: config.queueType,
        prefetch: config.prefetch,
        ackWaitMs: config.ackWaitMs,
        maxBytesInHand: config.maxBytesInHand,
        logger,
        checkIntervalMs: options.queueCheckIntervalMs ?? 5000,
        onCheck: ({ messageCount, consumerCount, parked }) => {
          metrics.lag.set(messageCount);
          metrics.consumers.set(consumerCount);
          if (parked !== undefined) metrics.deadDepth.set(parked);
        },
        onDropped: (dropped) => metrics.parkedDropped.inc({ code: dropped.code }),
        onDelivery: (message, consumer) => {
          metrics.received.inc();
          // After the consumer is cancelled at shutdown, a message still in flight stays
          // unacked and returns to the queue when the channel closes.
          if (!state.stopping) batcher.push({ message, consumer });
        },
        onEnd: (consumer) => {
          // Their channel is gone: the broker redelivers them, possibly to another worker.
          batcher.remove((delivery) => delivery.consumer === consumer);
          updateReady();
        },
        onConsuming: (consumer) => {
          state.connections += 1;
          state.current = consumer;
          if (state.stopping) return consumer.end('stopping');
          updateReady();
          logger.info(
            { url: redactUrl(url), prefetch: config.prefetch, batchSize: config.batchSize },
            'consuming feed.events',
          );
        },
      });
    },
  }).catch((error: unknown) => {
    state.fatal = error;
    updateReady();
    logger.fatal({ err: error }, 'the worker cannot run; stopping');
    throw error;
  });
  // The caller observes `done`; this keeps an early fatal error from being unhandled.
  done.catch(() => {});

  async function stop(): Promise<void> {
    state.stopping = true;
    updateReady();
    logger.info({ timeoutMs: config.shutdownTimeoutMs }, 'stopping');
    // Keep a margin under the deadline for closing connections, the pool and the server.
    const timer = setTimeout(() => deadline.abort(), config.shutdownTimeoutMs * 0.7);
    const consumer = state.current;
    try {
      // 1. Stop taking messages.
      if (consumer?.open) await withTimeout(consumer.cancel(), 2000, 'cancel timed out');
    } catch (error) {
      logger.warn({ err: error }, 'cancelling the consumer failed');
    }
    // 2. Messages not started yet go back to the queue when the channel closes.
    const returned = batcher.remove(() => true).length;
    batcher.close();
    // 3. Finish and ack the batches and parks in hand (or give them up at the deadline).
    await Promise.race([processing.then(() => pipeline.parksSettled()), aborted(deadline.signal)]);
    // 4. No reconnect; close the consumer and everything else.
    loopController.abort();
    clearInterval(watchdog);
    await state.current?.close('stopping');
    await Promise.race([done.catch(() => {}), aborted(deadline.signal)]);
    await parker.close();
    await withTimeout(pool.end(), 2000, 'pool end timed out').catch(() => {});
    await health.close();
    clearTimeout(timer);
    logger.info({ returned, gaveUp: deadline.signal.aborted }, 'stopped');
  }

  let stopped: Promise<void> | undefined;
  return {
    stop: () => (stopped ??= stop()),
    isReady: () => notReadyReason() === null,
    readiness,
    httpPort: health.port,
    done,
    metrics,
    stats: () => ({
      connections: state.connections,
      batches: pipeline.batches(),
      buffered: batcher.size,
      busy: pipeline.busy(),
    }),
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
