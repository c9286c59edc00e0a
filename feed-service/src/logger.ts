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
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(
  options: { level: LogLevel; pretty: boolean },
  destination?: pino.DestinationStream,
): Logger {
  const base = { name: 'feed-service', pid: process.pid, hostname: hostname() };
  const pinoOptions = { level: options.level, base, redact };
  if (destination !== undefined) return pino(pinoOptions, destination);
  if (options.pretty) return pino({ ...pinoOptions, transport: { target: 'pino-pretty' } });
  return pino(pinoOptions);
}
