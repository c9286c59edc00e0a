import type { FastifyPluginAsync } from 'fastify';
import { SqlState } from '@feed/store';
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
 * Each check of /readyz has this long: a frozen connection or a held lock must make the
 * answer "not ready, because", within the 5 s a prober allows, not no answer at all.
 */
const checkDeadlineMs = 2000;

class CheckTimeout extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new CheckTimeout(`${what} did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Reads one row of feed_events, giving up on the server after the deadline: a lock held on
 * the table (a migration, a `lock table`) stalls every page and stream read, and only a read
 * of the table itself notices it. One simple-protocol query, so `set local` holds for it.
 */
async function probeFeedTable(pool: Queryable): Promise<void> {
  await pool.query(
    `set local statement_timeout = ${checkDeadlineMs - 200}; select 1 from feed_events limit 1`,
  );
}

function describe(error: unknown): string {
  if (error instanceof CheckTimeout) return error.message;
  if ((error as { code?: unknown }).code === SqlState.QueryCanceled)
    return `reading feed_events took over ${checkDeadlineMs - 200} ms (a lock held on the table? see pg_locks)`;
  return `the database is unreachable: ${(error as Error).message}`;
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
    const reasons: string[] = [];
    let database = true;
    let visibility: string | undefined;
    const [writer, probe] = await Promise.allSettled([
      withDeadline(oldestFeedWriter(pool), checkDeadlineMs, 'the database'),
      withDeadline(probeFeedTable(pool), checkDeadlineMs, 'the database'),
    ]);
    if (writer.status === 'fulfilled') {
      const age = writer.value?.ageSeconds ?? 0;
      metrics.visibilityHeld.set(age);
      if (writer.value !== null && age > visibilityStallS)
        visibility =
          `held for ${Math.round(age)} s by a transaction writing the feed ` +
          `(pid ${writer.value.pid}, ${writer.value.applicationName || 'no application_name'}, ${writer.value.state})`;
    } else {
      database = false;
      reasons.push(describe(writer.reason));
    }
    if (probe.status === 'rejected') {
      database = false;
      const reason = describe(probe.reason);
      if (!reasons.includes(reason)) reasons.push(reason);
    }
    if (!liveFeed.listening)
      reasons.push('the live feed is not listening (LISTEN connection down)');
    if (visibility !== undefined) reasons.push(`visibility ${visibility}`);
    const ready = reasons.length === 0;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      database,
      liveFeed: liveFeed.listening,
      ...(visibility === undefined ? {} : { visibility }),
      ...(ready ? {} : { reasons }),
      // Informational: a lagging replica is passed over, reads go to the primary.
      ...(readRouter.status() === undefined ? {} : { readReplica: readRouter.status() }),
    });
  });
};
