import { FeedError, FeedErrorCode } from '@feed/contracts';
import { createLogger } from '@feed/logger';
import { createFeedPublisher } from '@feed/publisher';
import { createPool } from '@feed/store';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { PgLiveFeed } from './liveFeed.js';
import { createReaderIdentity } from './readerIdentity.js';

/** How long SIGTERM/SIGINT may take before the process exits anyway. */
const shutdownTimeoutMs = 10_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({
    name: 'feed-service',
    level: config.logLevel,
    pretty: config.logPretty,
  });
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.dbPoolMax,
    applicationName: 'feed-service',
    statementTimeoutMs: config.statementTimeoutMs,
    onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
  });
  const liveFeed = new PgLiveFeed({ connectionString: config.databaseUrl, pool, logger });
  // Not awaited: with the database down the service still starts, and /readyz says why.
  void liveFeed.start();
  // Only an instance that accepts POST /events or readers' reactions connects to the broker.
  const publisher =
    config.apiKeys.length === 0 && !createReaderIdentity(config).enabled
      ? undefined
      : createFeedPublisher({
          url: config.amqpUrls.join(','),
          source: 'feed-service',
          queueType: config.queueType,
          logger: logger.child({ component: 'publisher' }),
        });
  const app = await buildApp({ config, pool, logger, liveFeed, publisher });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new FeedError(
      FeedErrorCode.Config,
      `PORT ${config.port} is already in use on ${config.host}: stop what listens there, or set PORT to a free port`,
      { cause: error },
    );
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    deadline.unref();
    // Stop accepting and end the streams (app.close), then the publisher (its confirms in
    // flight), the LISTEN client and the pool.
    void (async () => {
      try {
        await app.close();
        await publisher?.close();
        await liveFeed.close();
        await pool.end();
        logger.info('stopped');
      } catch (error) {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      }
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // Config errors name the variable; print them plainly, the logger may not exist yet.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
