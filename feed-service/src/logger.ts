import {
  createLogger as createProcessLogger,
  type DestinationStream,
  type Logger,
} from '@feed/logger';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(
  options: { level: LogLevel; pretty: boolean },
  destination?: DestinationStream,
): Logger {
  return createProcessLogger({ name: 'feed-service', ...options }, destination);
}
