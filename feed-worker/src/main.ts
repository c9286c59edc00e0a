import { FeedError } from '@feed/contracts';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startWorker } from './worker.js';

/** The worker process: configuration, logger, signals, exit code. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });
  let worker;
  try {
    worker = await startWorker(config, { logger });
  } catch (error) {
    // A start that cannot work as configured (WORKER_HTTP_PORT taken): its one line, exit 1.
    if (!(error instanceof FeedError)) throw error;
    console.error(error.message);
    process.exit(1);
  }

  let exiting = false;
  const shutdown = (signal: string, exitCode: number) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, 'shutdown requested');
    // The last resort: whatever hangs, the process ends within the deadline.
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    worker.stop().then(
      () => {
        logger.flush();
        process.exit(exitCode);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  // An error no retry can fix (a topology mismatch): one clear line, then a non-zero exit.
  worker.done.catch(() => shutdown('fatal', 1));
}

await main();
