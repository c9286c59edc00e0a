import { hostname } from 'node:os';
import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { DestinationStream, Logger };

/**
 * Paths that may hold a secret, in any process's lines (configuration, request headers);
 * pino replaces their values before a line is written.
 */
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

export interface LoggerOptions {
  /** The process, in every line's `name` (with `pid` and `hostname`). */
  name: string;
  level: LevelWithSilent;
  /** Human-readable lines (pino-pretty) rather than JSON; not with a destination. */
  pretty: boolean;
}

/** The logger of one of the feed's processes: pino JSON lines, secrets redacted. */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  const base = { name: options.name, pid: process.pid, hostname: hostname() };
  const pinoOptions = { level: options.level, base, redact };
  if (destination !== undefined) return pino(pinoOptions, destination);
  if (options.pretty) return pino({ ...pinoOptions, transport: { target: 'pino-pretty' } });
  return pino(pinoOptions);
}
