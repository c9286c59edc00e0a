import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's metrics; one registry per app so tests can build several apps. */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'feed_http_requests_total',
    help: 'HTTP requests answered, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'feed_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (streams: until the headers).',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly openStreams = new Gauge({
    name: 'feed_stream_clients',
    help: 'Open live streams (SSE) on this process.',
    registers: [this.registry],
  });
  readonly streamDisconnects = new Counter({
    name: 'feed_stream_disconnects_total',
    help: 'Streams ended by the service, by reason (slow_client, shutdown).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly streamRefusals = new Counter({
    name: 'feed_stream_refusals_total',
    help: 'Streams refused by SERVICE_STREAMS_PER_CLIENT or SERVICE_STREAMS_MAX.',
    registers: [this.registry],
  });
  readonly streamCatchUpReads = new Counter({
    name: 'feed_stream_catchup_reads_total',
    help: 'Database reads done by streams catching up (at most SERVICE_STREAM_CATCHUP_CONCURRENCY at once).',
    registers: [this.registry],
  });
  /** Set by the app to the number of streams waiting for a catch-up read. */
  catchUpsWaiting: () => number = () => 0;
  readonly streamCatchUpsWaiting: Gauge = new Gauge({
    name: 'feed_stream_catchups_waiting',
    help: 'Streams waiting for their turn to read what they missed.',
    registers: [this.registry],
    collect: (): void => this.streamCatchUpsWaiting.set(this.catchUpsWaiting()),
  });
  readonly streamEvents = new Counter({
    name: 'feed_stream_events_total',
    help: 'Events written to stream clients.',
    registers: [this.registry],
  });
  readonly headHits = new Counter({
    name: 'feed_head_cache_hits_total',
    help: 'First pages of the feed served from memory.',
    registers: [this.registry],
  });
  readonly headFastAnswers = new Counter({
    name: 'feed_head_fast_path_total',
    help: 'Of the head hits, those answered before Fastify: anonymous requests naming only a limit (headFastPath.ts).',
    registers: [this.registry],
  });

  readonly pageHits = new Counter({
    name: 'feed_page_cache_hits_total',
    help: 'Filtered or deeper pages served from memory (or a read shared with another request).',
    registers: [this.registry],
  });

  readonly items = new Counter({
    name: 'feed_item_cache_items_total',
    help: 'Items of pages below the head, by where they came from (memory: the item cache; database).',
    labelNames: ['from'] as const,
    registers: [this.registry],
  });

  readonly compressions = new Counter({
    name: 'feed_http_compressions_total',
    help: 'Bodies compressed, by coding (br, gzip): once per version of a cached page and coding, once per request otherwise.',
    labelNames: ['encoding'] as const,
    registers: [this.registry],
  });

  readonly visibilityHeld = new Gauge({
    name: 'feed_visibility_held_seconds',
    help: 'Age of the oldest transaction writing the feed, which holds back what readers see (0: none; read at each /readyz).',
    registers: [this.registry],
  });

  readonly replicaReads = new Counter({
    name: 'feed_read_replica_reads_total',
    help: 'Reads served by the read replica (DATABASE_READ_URL).',
    registers: [this.registry],
  });

  readonly replicaFallbacks = new Counter({
    name: 'feed_read_replica_fallbacks_total',
    help: 'Reads sent to the primary although a read replica is configured: it had not replayed far enough, or did not answer.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

/** Counts and times every request; /metrics serves the registry. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { metrics: ServiceMetrics }) => {
    const { metrics } = options;
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
      metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
    const routeOptions = { schema: { hide: true }, config: { rateLimit: false } };
    app.get('/metrics', routeOptions, async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'feed-metrics' },
);
