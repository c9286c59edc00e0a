import type { FastifyPluginAsync } from 'fastify';
import type { Queryable } from '@feed/store';
import type { LiveFeed } from '../liveFeed.js';

export interface HealthRoutesOptions {
  pool: Queryable;
  liveFeed: LiveFeed;
}

/**
 * `/healthz`: the process answers (restart it if not). `/readyz`: it can serve the feed
 * correctly, so send it traffic: the database answers and the live feed is listening (without
 * it, streams and the head of the feed would go stale).
 */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (
  app,
  { pool, liveFeed },
) => {
  const routeConfig = { schema: { hide: true }, config: { rateLimit: false } };
  app.get('/healthz', routeConfig, async () => ({ status: 'ok' }));
  app.get('/readyz', routeConfig, async (_request, reply) => {
    let database = true;
    try {
      await pool.query('select 1');
    } catch {
      database = false;
    }
    const ready = database && liveFeed.listening;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', database, liveFeed: liveFeed.listening });
  });
};
