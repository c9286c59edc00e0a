import { createFeedPublisher, startOutboxRelay } from '@feed/publisher';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { migrate } from './migrations.js';

const SHUTDOWN_TIMEOUT_MS = 15_000;

const config = loadConfig(process.env);
const logger = pino({
  level: config.logLevel,
  base: { service: 'registrar' },
  redact: ['req.headers.authorization'],
  ...(config.logPretty ? { transport: { target: 'pino-pretty' } } : {}),
});

const pool = new pg.Pool({
  connectionString: config.databaseUrl,
  max: 10,
  application_name: 'registrar',
});
// Without a listener, an idle client's error would kill the process.
pool.on('error', (error) => logger.warn({ err: error }, 'idle database client failed'));

const applied = await migrate(pool);
logger.info({ applied }, 'migrations done');

const publisher = createFeedPublisher({
  url: config.amqpUrl,
  source: config.source,
  queueType: config.queueType,
  logger: logger.child({ component: 'publisher' }),
});
const relay = startOutboxRelay({ pool, publisher, logger: logger.child({ component: 'relay' }) });
const app = await buildApp({
  pool,
  source: config.source,
  logger,
  publisherState: () => publisher.state,
});
await app.listen({ host: config.host, port: config.port });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error('shutdown deadline passed, exiting');
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  // HTTP first (no new registrations), then the relay finishes its batch, then the publisher
  // waits for its confirms. Rows not yet relayed stay in the outbox for the next start.
  await app.close();
  await relay.stop();
  await publisher.close({ timeoutMs: SHUTDOWN_TIMEOUT_MS / 2 });
  await pool.end();
  clearTimeout(deadline);
  logger.info('stopped');
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
