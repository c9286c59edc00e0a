import type { FastifyPluginAsync } from 'fastify';
import { oldestFeedWriter, type Queryable } from '@feed/store';
import type { LiveFeed } from '../liveFeed.js';
import type { ServiceMetrics } from '../plugins/metrics.js';
import type { ReadRouter } from '../readRouter.js';

export interface HealthRoutesOptions {
  pool: Queryable;
  liveFeed: LiveFeed;
  metrics: ServiceMetrics;
  readRouter: ReadRouter;
  /**
   * A transaction writing the feed for longer than this holds back what every reader sees:
   * not ready, naming it. Seconds; default 5.
   */
  visibilityStallS?: number;
}

/**
 * `/healthz`: the process answers (restart it if not). `/readyz`: it can serve the feed
 * correctly, so send it traffic: the database answers, the live feed is listening (without
 * it, streams and the head of the feed would go stale), and no transaction writing the feed
 * has held back what readers see for longer than `visibilityStallS`.
 */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (
  app,
  { pool, liveFeed, metrics, readRouter, visibilityStallS = 5 },
) => {
  const routeConfig = { schema: { hide: true }, config: { rateLimit: false } };
  app.get('/healthz', routeConfig, async () => ({ status: 'ok' }));
  app.get('/readyz', routeConfig, async (_request, reply) => {
    let database = true;
    let visibility: string | undefined;
    try {
      const writer = await oldestFeedWriter(pool);
      const age = writer?.ageSeconds ?? 0;
      metrics.visibilityHeld.set(age);
      if (writer !== null && age > visibilityStallS)
        visibility =
          `held for ${Math.round(age)} s by a transaction writing the feed ` +
          `(pid ${writer.pid}, ${writer.applicationName || 'no application_name'}, ${writer.state})`;
    } catch {
      database = false;
    }
    const ready = database && liveFeed.listening && visibility === undefined;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      database,
      liveFeed: liveFeed.listening,
      ...(visibility === undefined ? {} : { visibility }),
      // Informational: a lagging replica is passed over, reads go to the primary.
      ...(readRouter.status() === undefined ? {} : { readReplica: readRouter.status() }),
    });
  });
};
