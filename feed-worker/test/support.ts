import { declareTopology, topology } from '@feed/contracts';
import amqp, {
  type ChannelModel,
  type ConfirmChannel,
  type GetMessage,
  type Options,
} from 'amqplib';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { rabbitmqctl, waitFor } from '../../test-support/index.js';
import { loadConfig, type WorkerConfig } from '../src/config.js';

/** A worker configuration for tests: fast reconnects, any free HTTP port, quiet logs. */
export function testConfig(
  amqpUrl: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): WorkerConfig {
  return loadConfig({
    AMQP_URL: amqpUrl,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WORKER_HTTP_PORT: '0',
    WORKER_BATCH_SIZE: '50',
    WORKER_BATCH_WAIT_MS: '10',
    WORKER_PREFETCH: '200',
    WORKER_HEARTBEAT_S: '2',
    WORKER_RECONNECT_MIN_MS: '20',
    WORKER_RECONNECT_MAX_MS: '300',
    WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    ...env,
  });
}

/** Collects log lines in memory, for tests that assert what the worker said. */
export function memoryLogger(level = 'info'): {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level },
    {
      write(chunk: string) {
        lines.push(JSON.parse(chunk) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines: () => lines };
}

/** The URL of a vhost, reached through a proxy on `port`. */
export function viaPort(amqpUrl: string, port: number): string {
  const url = new URL(amqpUrl);
  url.port = String(port);
  return url.toString();
}

let counter = 0;

/** A CloudEvent of about 512 bytes in JSON. */
export function cloudEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  const id = `evt-${process.pid}-${counter}`;
  const base = {
    specversion: '1.0',
    id,
    source: 'worker-test',
    type: 'employee.registered',
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, counter)).toISOString(),
    data: {
      employeeId: `emp-${counter}`,
      name: 'Ada Lovelace',
      team: 'Analytical Engines',
      position: 'Engineer',
      department: 'R&D',
    },
  };
  const event = { ...base, ...overrides };
  const size = Buffer.byteLength(JSON.stringify(event));
  if (size < 512 && overrides.data === undefined) {
    // Pad two fields (each at most 200 characters) to reach the 512 bytes of the benchmark.
    const data = event.data as Record<string, string>;
    const need = 512 - size;
    const first = Math.min(need, 150);
    data.position = data.position!.padEnd(data.position!.length + first, '.');
    data.department = data.department!.padEnd(data.department!.length + need - first, '.');
  }
  return event;
}

export interface TestPublisher {
  channel: ConfirmChannel;
  /** Publishes to the exchange `feed` (routing key = type) and waits for the confirm. */
  publish(body: unknown, options?: Options.Publish & { routingKey?: string }): Promise<void>;
  /** Publishes raw bytes straight to feed.events through the default exchange. */
  publishRaw(content: Buffer, options?: Options.Publish): Promise<void>;
  /** Many at once, one confirm wait. */
  publishMany(bodies: unknown[]): Promise<void>;
  deadLetters(): Promise<GetMessage[]>;
  queueDepth(): Promise<number>;
  close(): Promise<void>;
}

/** A plain amqplib publisher, independent of the SDK, connected straight to the vhost. */
export async function createTestPublisher(amqpUrl: string): Promise<TestPublisher> {
  const connection: ChannelModel = await amqp.connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  // The queue must exist before the first publish, or the broker drops what is unroutable.
  await declareTopology(channel);
  const send = (body: unknown, options: Options.Publish & { routingKey?: string } = {}) => {
    const { routingKey, ...rest } = options;
    const key =
      routingKey ??
      (typeof body === 'object' && body !== null && 'type' in body ? String(body.type) : 'x');
    channel.publish(topology.exchange, key, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      ...rest,
    });
  };
  return {
    channel,
    async publish(body, options) {
      send(body, options);
      await channel.waitForConfirms();
    },
    async publishRaw(content, options = {}) {
      channel.sendToQueue(topology.queue, content, { persistent: true, ...options });
      await channel.waitForConfirms();
    },
    async publishMany(bodies) {
      for (const body of bodies) send(body);
      await channel.waitForConfirms();
    },
    async deadLetters() {
      const messages: GetMessage[] = [];
      for (;;) {
        const message = await channel.get(topology.deadLetterQueue, { noAck: true });
        if (message === false) return messages;
        messages.push(message);
      }
    },
    async queueDepth() {
      return (await channel.checkQueue(topology.queue)).messageCount;
    },
    async close() {
      await connection.close();
    },
  };
}

/**
 * Rows of feed_events: how far the worker got. (Whether each event is there once is for the
 * readers to say, see feedReaders.ts: the unique key already forbids a second row.)
 */
export async function countRows(databaseUrl: string): Promise<number> {
  const [row] = await query<{ rows: number }>(
    databaseUrl,
    'select count(*)::int as rows from feed_events',
  );
  return row!.rows;
}

export async function query<T extends pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Publishes `count` events of `source` in confirmed chunks; returns their ids. */
export async function publishStream(
  publisher: TestPublisher,
  source: string,
  count: number,
  options: { chunk?: number; between?: () => Promise<void> } = {},
): Promise<string[]> {
  const ids: string[] = [];
  const chunk = options.chunk ?? 100;
  for (let offset = 0; offset < count; offset += chunk) {
    const events = Array.from({ length: Math.min(chunk, count - offset) }, () =>
      cloudEvent({ source }),
    );
    await publisher.publishMany(events);
    ids.push(...events.map((event) => event.id as string));
    await options.between?.();
  }
  return ids;
}

/** Rows stored for `source`. */
export async function storedFor(databaseUrl: string, source: string): Promise<number> {
  const [row] = await query<{ rows: number }>(
    databaseUrl,
    'select count(*)::int as rows from feed_events where source = $1',
    [source],
  );
  return row!.rows;
}

/** Consumers on feed.events in a vhost, as the broker sees them. */
export async function consumerCount(vhost: string): Promise<number> {
  const out = await rabbitmqctl(
    'list_consumers',
    '-q',
    '--no-table-headers',
    '-p',
    vhost,
    'queue_name',
  );
  return out.split('\n').filter((line) => line.trim() === 'feed.events').length;
}

export async function readyz(port: number): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: response.status, body: await response.text() };
}

/**
 * Injects a fault each time the rows stored for `source` pass one of the thresholds, while
 * the load runs, so every fault lands in the middle of the stream however fast the machine
 * is. `done()` waits for the last one and returns what each injection returned (how many
 * connections it cut or killed), so a test can assert that every fault it meant happened.
 */
export function faultsWhileStoring<T>(
  databaseUrl: string,
  source: string,
  thresholds: readonly number[],
  inject: (round: number) => Promise<T> | T,
): { done(): Promise<T[]> } {
  const results: T[] = [];
  const loop = (async () => {
    for (const threshold of thresholds) {
      await waitFor(
        `${threshold} events of ${source} stored`,
        async () => (await storedFor(databaseUrl, source)) >= threshold,
        { timeout: 60_000, interval: 10 },
      );
      results.push(await inject(results.length + 1));
    }
  })();
  // Observed through done(); this keeps a failure before then from being unhandled.
  loop.catch(() => {});
  return {
    async done() {
      await loop;
      return results;
    },
  };
}

/**
 * Holds a SHARE lock on feed_events in a transaction of the test's own: it conflicts with the
 * ROW EXCLUSIVE every writer takes first, so the worker's batch waits on it until
 * `release()`, while reads (the API) go on.
 */
export async function holdFeedTable(databaseUrl: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query('lock table feed_events in share mode');
  return {
    async release() {
      await client.query('commit');
      await client.end();
    },
  };
}
