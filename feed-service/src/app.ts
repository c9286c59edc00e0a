import { createServer } from 'node:http';
import pLimit from 'p-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { limits } from '@feed/contracts';
import { DeadLetters } from '@feed/dead';
import {
  OrganisationReader,
  SCOPE_POSITIONS_MAX,
  ScopePositions,
  createPool,
  type Pool,
} from '@feed/store';
import type { ServiceConfig } from './config.js';
import { trackConnections } from './connectionDrain.js';
import type { EventPublisher } from './eventPublisher.js';
import { EventQuota } from './eventQuota.js';
import { HeadCache, headOptions } from './headCache.js';
import { headFastPath, type HeadFastPath } from './headFastPath.js';
import { ItemCache } from './itemCache.js';
import { PageCache } from './pageCache.js';
import { PgLiveFeed, type LiveFeed } from './liveFeed.js';
import { ReadRouter } from './readRouter.js';
import { StreamAdmission } from './streamAdmission.js';
import {
  clientOf,
  createCallerLookup,
  createGuards,
  refuseGuessing,
  type FailureCounter,
} from './plugins/auth.js';
import { errorsPlugin } from './plugins/errors.js';
import { frameworkErrorHandler } from './plugins/frameworkErrors.js';
import { ServiceMetrics, metricsPlugin } from './plugins/metrics.js';
import { requestWindowKeys, securityPlugin } from './plugins/security.js';
import { RequestWindows } from './requestWindows.js';
import { CacheControl, type SendBodyOptions } from './sendBody.js';
import { adminRoutes } from './routes/admin.js';
import { catalogueRoutes } from './routes/catalogue.js';
import { deadLetterRoutes } from './routes/deadLetters.js';
import { docsPlugin } from './routes/docs.js';
import { eventsRoutes } from './routes/events.js';
import { organisationRoutes } from './routes/organisation.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/page.js';
import { publishRoutes } from './routes/publish.js';
import { reactionsRoutes } from './routes/reactions.js';
import { createReaderIdentity } from './readerIdentity.js';
import { requestLogger } from './requestLogger.js';
import { streamRoutes } from './routes/stream.js';
import { TypesSeen } from './typesSeen.js';

export interface AppDeps {
  config: ServiceConfig;
  pool: Pool;
  /** Default: none (Fastify's logger off). main.ts passes the process's pino logger. */
  logger?: FastifyBaseLogger;
  /**
   * The LISTEN connection. Default: buildApp opens one, starts it without waiting, and
   * closes it with the app. One passed in belongs to the caller.
   */
  liveFeed?: LiveFeed;
  /**
   * Publishes POST /events and readers' reactions to the broker (@feed/publisher). Default
   * none: both answer 503. One passed in belongs to the caller.
   */
  publisher?: EventPublisher;
  /**
   * The operations on parked messages behind /admin/dead. Default: on the broker of AMQP_URL
   * (each operation opens its own connection and closes it).
   */
  deadLetters?: DeadLetters;
  /**
   * On close, how long responses in progress (and streams' last frames) may take before
   * their connections are cut. Default 2000 ms: well inside main.ts's shutdown deadline.
   */
  closeGraceMs?: number;
}

/** Builds the app with every plugin and route; never listens (main.ts and tests decide). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, pool } = deps;
  // The head's fast path (headFastPath.ts), set once the routes it stands in for exist.
  let fastPath: HeadFastPath | undefined;
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    // The server Fastify would make, with the head's fast path in front of Fastify's handler.
    // SERVICE_REQUEST_TIMEOUT_MS: a client that sends its headers or body slowly (or never
    // finishes) is answered 408 and closed, instead of holding a socket. SERVICE_SOCKET_TIMEOUT_MS:
    // a socket silent both ways is closed; live streams write a heartbeat well before it.
    // Keep-alive as Fastify's default: 72 s, beyond the 60 s idle timeout of common proxies.
    serverFactory: (handler) => {
      const server = createServer((request, response) => {
        if (fastPath === undefined || !fastPath(request, response)) handler(request, response);
      });
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = config.requestTimeoutMs;
      server.setTimeout(config.socketTimeoutMs);
      return server;
    },
    bodyLimit: limits.maxBodyBytes,
    // SERVICE_TRUSTED_PROXIES: only these peers' X-Forwarded-For names the client (request.ip,
    // which rate limits and logs use). Off by default: a client could name any address.
    ...(config.trustedProxies.length === 0 ? {} : { trustProxy: config.trustedProxies }),
    // Two log lines per request would cost more than the head of the feed itself; metrics count
    // requests, and errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's child logger, made only when the request logs a line.
    childLoggerFactory: requestLogger,
    // Event ids are up to 200 characters; Fastify's default is 100.
    routerOptions: { maxParamLength: 256 },
    // Errors the router answers before any route (a path parameter over maxParamLength, a
    // malformed URL) in the API's error shape too.
    frameworkErrors: frameworkErrorHandler,
    ajv: {
      customOptions: {
        // An unknown query parameter is a 400, not silently dropped: `types=` instead of
        // `type=` would otherwise return the unfiltered feed.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON only: a text/plain body gets a clear 415, not a confusing schema error.
  app.removeContentTypeParser('text/plain');

  const ownLiveFeed = deps.liveFeed === undefined;
  const liveFeed =
    deps.liveFeed ??
    new PgLiveFeed({ connectionString: config.databaseUrl, pool, logger: app.log });
  if (ownLiveFeed) void (liveFeed as PgLiveFeed).start();
  // SERVICE_MEMORY_CACHE. The caches stay true only because the live feed announces every
  // change: a live feed that never does (a test's) needs them off.
  const headCache = config.memoryCache ? new HeadCache(pool, liveFeed, app.log) : undefined;
  void headCache?.refresh();
  const metrics = new ServiceMetrics();
  const pageCache = config.memoryCache ? new PageCache(liveFeed) : undefined;
  const itemCache = config.memoryCache
    ? new ItemCache(liveFeed, {
        maxBytes: config.itemCacheBytes,
        onRead: (memory, database) => {
          metrics.items.inc({ from: 'memory' }, memory);
          metrics.items.inc({ from: 'database' }, database);
        },
      })
    : undefined;
  // SERVICE_STREAM_CATCHUP_CONCURRENCY: streams replaying what they missed take turns.
  const catchUps = pLimit(config.streamCatchUpConcurrency);
  metrics.catchUpsWaiting = () => catchUps.pendingCount;
  // DATABASE_READ_URL: pages, items and stream catch-up read there once it caught up.
  const readPool =
    config.databaseReadUrl === undefined
      ? undefined
      : createPool({
          connectionString: config.databaseReadUrl,
          max: config.dbPoolMax,
          applicationName: 'feed-service-read',
          statementTimeoutMs: config.statementTimeoutMs,
          onError: (error) => app.log.warn({ err: error }, 'idle read replica connection failed'),
        });
  const readRouter = new ReadRouter({ primary: pool, replica: readPool, liveFeed, metrics });
  const typesSeen = new TypesSeen(pool, liveFeed);

  await app.register(errorsPlugin);
  const callerOf = createCallerLookup(config);
  // Requests per client and minute (SERVICE_RATE_LIMIT_MAX), counted by the security plugin
  // and by the head's fast path.
  const requestWindows = new RequestWindows(60_000, requestWindowKeys);
  await app.register(securityPlugin, { ...config, callerOf, windows: requestWindows });
  // Failed authentications per client address and minute (SERVICE_AUTH_FAILURE_MAX).
  const failures = new RequestWindows(60_000, requestWindowKeys);
  const failureCounter: FailureCounter = {
    read: async (request) => {
      const { count, resetInMs } = failures.read(request.ip);
      return {
        remaining: Math.max(0, config.authFailureMax - count),
        ttlInSeconds: Math.ceil(resetInMs / 1000),
      };
    },
    count: async (request) => failures.hit(request.ip),
  };
  const guards = createGuards(config, callerOf, failureCounter);
  await app.register(metricsPlugin, { metrics });
  await app.register(docsPlugin);
  await app.register(healthRoutes, { pool, liveFeed, metrics, readRouter });
  await app.register(pageRoutes);
  const readers = createReaderIdentity(config, {
    refuse: (request) => refuseGuessing(config, failureCounter, request),
    failed: async (request) => {
      await failureCounter.count(request);
    },
  });
  const organisations = new OrganisationReader();
  const pageOptions: SendBodyOptions = {
    cacheControl: CacheControl.revalidate,
    onCompress: (encoding) => metrics.compressions.inc({ encoding }),
  };
  const headOptionsOf = headOptions(pageOptions);
  await app.register(eventsRoutes, {
    pageOptions,
    headOptionsOf,
    readRouter,
    headCache,
    pageCache,
    itemCache,
    guards,
    metrics,
    readers,
    organisations,
    scopePositions: new ScopePositions(SCOPE_POSITIONS_MAX, itemCache?.rows),
  });
  await app.register(streamRoutes, {
    readRouter,
    liveFeed,
    guards,
    metrics,
    heartbeatMs: config.streamHeartbeatMs,
    maxBufferedBytes: config.streamMaxBufferedBytes,
    admission: new StreamAdmission({
      maxStreams: config.streamsMax,
      maxPerClient: config.streamsPerClient,
    }),
    clientOf: (request) => clientOf(request, callerOf),
    catchUps,
  });

  await app.register(publishRoutes, {
    publisher: deps.publisher,
    guards,
    keyOf: (request) => callerOf(request)?.key,
    quota: new EventQuota(config.apiKeyEventsPerMinute),
  });
  const deadLetters =
    deps.deadLetters ?? new DeadLetters({ urls: config.amqpUrls, name: 'feed-service' });
  await app.register(adminRoutes, { pool, liveFeed, headCache, guards, deadLetters });
  await app.register(catalogueRoutes, { typesSeen, guards });
  await app.register(deadLetterRoutes, { deadLetters, guards });
  await app.register(organisationRoutes, { readRouter, organisations, readers, guards });
  await app.register(reactionsRoutes, { pool, publisher: deps.publisher, readers, guards });

  // Only where an anonymous request's answer is the same for everyone: no read tokens, no
  // reader set for every request, clients named by their own address (and so no HSTS: the
  // service's own socket is plain HTTP, and no proxy is trusted to say otherwise).
  if (
    headCache !== undefined &&
    config.readTokens.length === 0 &&
    config.localReader === undefined &&
    config.trustedProxies.length === 0
  ) {
    const path = headFastPath({
      headCache,
      headOptionsOf,
      windows: requestWindows,
      rateLimitMax: config.rateLimitMax,
      metrics,
      cors: config.corsOrigins.length > 0,
    });
    app.addHook('preClose', (done) => {
      path.stop();
      done();
    });
    fastPath = path;
  }

  // After the streams were ended (their preClose hook runs first): close the connections
  // server.close() would otherwise wait for without end.
  const connections = trackConnections(app.server);
  app.addHook('preClose', async () => connections.start(deps.closeGraceMs ?? 2000));

  app.addHook('onClose', async () => {
    headCache?.close();
    typesSeen.close();
    pageCache?.close();
    itemCache?.close();
    if (ownLiveFeed) await liveFeed.close();
    await readPool?.end();
  });
  return app;
}
