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
  return createProcessLogger({ name: 'feed-worker', ...options }, destination);
}

/** The logger for lines about one message: who sent it and which event it carries. */
export function messageLogger(
  logger: Logger,
  properties: { appId?: string | undefined; messageId?: string | undefined },
): Logger {
  return logger.child({ source: properties.appId, eventId: properties.messageId });
}
