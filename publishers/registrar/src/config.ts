import envSchema from 'env-schema';
import { FeedError, FeedErrorCode, parseAmqpUrls, type QueueType } from '@feed/contracts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface RegistrarConfig {
  host: string;
  port: number;
  databaseUrl: string;
  /** Broker nodes, comma-separated (AMQP_URL); the publisher fails over between them. */
  amqpUrl: string;
  queueType: QueueType;
  logLevel: LogLevel;
  logPretty: boolean;
  /** The `source` of the registrar's events. */
  source: string;
}

const schema = {
  type: 'object',
  properties: {
    REGISTRAR_HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    REGISTRAR_PORT: { type: 'integer', minimum: 0, maximum: 65_535, default: 3100 },
    REGISTRAR_DATABASE_URL: {
      type: 'string',
      minLength: 1,
      default: 'postgres://postgres@127.0.0.1:5432/registrar',
    },
    REGISTRAR_SOURCE: { type: 'string', minLength: 1, maxLength: 200, default: 'registrar' },
    AMQP_URL: { type: 'string', minLength: 1, default: 'amqp://guest:guest@127.0.0.1:5672' },
    FEED_QUEUE_TYPE: { type: 'string', enum: ['quorum', 'classic'], default: 'quorum' },
    LOG_LEVEL: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
    },
    LOG_PRETTY: { type: 'boolean', default: false },
  },
} as const;

interface Env {
  REGISTRAR_HOST: string;
  REGISTRAR_PORT: number;
  REGISTRAR_DATABASE_URL: string;
  REGISTRAR_SOURCE: string;
  AMQP_URL: string;
  FEED_QUEUE_TYPE: QueueType;
  LOG_LEVEL: LogLevel;
  LOG_PRETTY: boolean;
}

function invalid(message: string): FeedError {
  return new FeedError(FeedErrorCode.Config, `invalid configuration: ${message}`);
}

/**
 * Reads the registrar's variables (see .env.example). A wrong value throws a FeedError naming
 * the variable, so the process stops at start.
 */
export function loadConfig(env: Record<string, string | undefined>): RegistrarConfig {
  // Empty values count as unset, as in a .env file with `NAME=`.
  const data = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in schema.properties && value !== ''),
  );
  let values: Env;
  try {
    values = envSchema<Env>({ schema, data, env: false, dotenv: false });
  } catch (error) {
    throw invalid((error as Error).message.replace(/^env\//, ''));
  }
  try {
    parseAmqpUrls(values.AMQP_URL);
  } catch (error) {
    throw invalid(`AMQP_URL ${(error as Error).message}`);
  }
  let database: URL | undefined;
  try {
    database = new URL(values.REGISTRAR_DATABASE_URL);
  } catch {
    database = undefined;
  }
  if (database === undefined || !/^postgres(ql)?:$/.test(database.protocol))
    throw invalid('REGISTRAR_DATABASE_URL must be a postgres:// URL');
  return {
    host: values.REGISTRAR_HOST,
    port: values.REGISTRAR_PORT,
    databaseUrl: values.REGISTRAR_DATABASE_URL,
    amqpUrl: values.AMQP_URL,
    queueType: values.FEED_QUEUE_TYPE,
    logLevel: values.LOG_LEVEL,
    logPretty: values.LOG_PRETTY,
    source: values.REGISTRAR_SOURCE,
  };
}
