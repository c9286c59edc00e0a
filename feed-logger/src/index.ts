export { createLogger, type LoggerOptions, type Logger, type DestinationStream } from './logger.js';
