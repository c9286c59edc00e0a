import {
  FeedError,
  FeedErrorCode,
  limits,
  parseAmqpUrls,
  topology,
  type QueueType,
} from '@feed/contracts';
import { silentLogger, type PublisherLogger } from './logger.js';

export interface FeedPublisherOptions {
  /** AMQP_URL: one broker, or the nodes of a cluster separated by commas. */
  url: string;
  /** The publishing service: `app_id` and the default CloudEvents `source`. */
  source: string;
  /** Type of `feed.events` when the publisher declares the topology. Default `quorum`. */
  queueType?: QueueType;
  /**
   * Most messages held at once: waiting while disconnected plus sent and not yet confirmed.
   * Past it `publish` rejects at once with FEED_PUBLISH_BUFFER_FULL. Default 10 000.
   */
  maxBuffered?: number;
  /** A publish not confirmed within this rejects with FEED_PUBLISH_TIMEOUT. Default 10 000 ms. */
  publishTimeoutMs?: number;
  /** Exchange messages go to. Default `feed` (the wire contract); other values are for tests. */
  exchange?: string;
  /** Seconds between AMQP heartbeats, unless the URL sets `heartbeat`. Default 10. */
  heartbeatS?: number;
  /** How long one connect attempt may take. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect backoff (capped exponential, full jitter). Default 250 ms … 30 000 ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Default `close()` deadline. Default 10 000 ms. */
  closeTimeoutMs?: number;
  /** Shown in the RabbitMQ management UI. Default `feed-publisher <source>`. */
  connectionName?: string;
  /** pino-compatible. Default: silent. */
  logger?: PublisherLogger;
}

export type ResolvedPublisherOptions = Required<Omit<FeedPublisherOptions, 'url'>> & {
  urls: string[];
};

/** Checks the options once, at creation, so a typo fails where it was made. */
export function resolvePublisherOptions(options: FeedPublisherOptions): ResolvedPublisherOptions {
  if (typeof options !== 'object' || options === null) throw config('options are required');
  let urls: string[];
  try {
    urls = parseAmqpUrls(String(options.url ?? ''));
  } catch (error) {
    throw config(`url: ${(error as Error).message}`);
  }
  const source = options.source;
  if (typeof source !== 'string' || source === '' || source.length > limits.maxSourceLength)
    throw config(
      `source must be a non-empty string of at most ${limits.maxSourceLength} characters`,
    );
  const queueType = options.queueType ?? 'quorum';
  if (queueType !== 'quorum' && queueType !== 'classic')
    throw config(`queueType must be 'quorum' or 'classic', got '${String(queueType)}'`);
  return {
    urls,
    source,
    queueType,
    maxBuffered: positiveInteger('maxBuffered', options.maxBuffered, 10_000),
    publishTimeoutMs: positiveInteger('publishTimeoutMs', options.publishTimeoutMs, 10_000),
    exchange: options.exchange ?? topology.exchange,
    heartbeatS: positiveInteger('heartbeatS', options.heartbeatS, 10),
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    reconnectMinMs: positiveInteger('reconnectMinMs', options.reconnectMinMs, 250),
    reconnectMaxMs: positiveInteger('reconnectMaxMs', options.reconnectMaxMs, 30_000),
    closeTimeoutMs: positiveInteger('closeTimeoutMs', options.closeTimeoutMs, 10_000),
    connectionName: options.connectionName ?? `feed-publisher ${source}`,
    logger: options.logger ?? silentLogger,
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw config(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function config(message: string): FeedError {
  return new FeedError(FeedErrorCode.Config, `createFeedPublisher: ${message}`);
}
