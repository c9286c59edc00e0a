import { commonEnv, envInteger, envPostgresUrl, envText, loadEnv } from '@feed/publisher';
import type { Env, LogLevel, QueueType } from '@feed/publisher';

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

const variables = {
  REGISTRAR_HOST: envText('127.0.0.1'),
  REGISTRAR_PORT: envInteger(0, 65_535, 3100),
  REGISTRAR_DATABASE_URL: envPostgresUrl('postgres://postgres@127.0.0.1:5432/registrar'),
  REGISTRAR_SOURCE: envText('registrar', { maxLength: 200 }),
  AMQP_URL: commonEnv.AMQP_URL,
  FEED_QUEUE_TYPE: commonEnv.FEED_QUEUE_TYPE,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  LOG_PRETTY: commonEnv.LOG_PRETTY,
};

/**
 * Reads the registrar's variables (see .env.example) with the SDK's `loadEnv`, as the feed's
 * own processes do. A wrong value throws a FeedError naming the variable, so the process
 * stops at start.
 */
export function loadConfig(env: Env): RegistrarConfig {
  const values = loadEnv(variables, env);
  return {
    host: values.REGISTRAR_HOST,
    port: values.REGISTRAR_PORT,
    databaseUrl: values.REGISTRAR_DATABASE_URL,
    amqpUrl: values.AMQP_URL.join(','),
    queueType: values.FEED_QUEUE_TYPE,
    logLevel: values.LOG_LEVEL,
    logPretty: values.LOG_PRETTY,
    source: values.REGISTRAR_SOURCE,
  };
}
