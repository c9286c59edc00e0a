import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Paths that may hold a secret; pino replaces their values before a line is written. */
const redact = [
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'amqpUrls',
  '*.amqpUrls',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(
  options: { level: LogLevel; pretty: boolean },
  destination?: pino.DestinationStream,
): Logger {
  const base = { name: 'feed-worker', pid: process.pid, hostname: hostname() };
  const pinoOptions = { level: options.level, base, redact };
  if (destination !== undefined) return pino(pinoOptions, destination);
  if (options.pretty) return pino({ ...pinoOptions, transport: { target: 'pino-pretty' } });
  return pino(pinoOptions);
}

/** The logger for lines about one message: who sent it and which event it carries. */
export function messageLogger(
  logger: Logger,
  properties: { appId?: string | undefined; messageId?: string | undefined },
): Logger {
  return logger.child({ source: properties.appId, eventId: properties.messageId });
}
