export { startWorker, type WorkerHandle, type WorkerOptions, type WorkerStats } from './worker.js';
export { loadConfig, type WorkerConfig, type LogLevel } from './config.js';
export { createLogger } from './logger.js';
