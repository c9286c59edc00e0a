import {
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TcpProxy,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { freePort } from './freePort.js';
import { counterValue } from './metrics.js';
import { logDirFor, startFeedProcess, type FeedProcess, type ProcessExit } from './feedProcess.js';

export interface Crash {
  name: string;
  exit: ProcessExit;
  lastLines: string[];
}

export interface RunningWorker {
  process: FeedProcess;
  httpUrl: string;
}

export interface RunningService {
  process: FeedProcess;
  url: string;
}

export interface FeedStackOptions {
  /** Also a second database for a publisher's outbox (the registrar's). */
  outboxDatabase?: boolean;
  workerEnv?: Record<string, string>;
  /**
   * A broker of the scenario's own (a cluster): its vhost and the AMQP_URL every process
   * gets, straight to the nodes. Without it: a vhost on the machine's broker, behind a proxy.
   */
  broker?: { vhost: TestVhost; amqpUrl: string };
}

/** The `source` of the registrar's events. */
export const registrarSource = 'e2e.registrar';
export const serviceAdminToken = 'e2e-admin-token-0123456789';
export const serviceApiKey = 'e2e-api-key-0123456789';

/**
 * One isolated deployment of the feed for one scenario: its own vhost and database, a TCP
 * proxy in front of RabbitMQ and one in front of PostgreSQL (so the scenario can cut or take
 * down its own connections and nobody else's), and the processes started the way they are
 * deployed. Every process exit nobody asked for is recorded as a crash.
 */
export async function createFeedStack(label: string, options: FeedStackOptions = {}) {
  const vhost: TestVhost = options.broker?.vhost ?? (await createTestVhost(label));
  const database: TestDatabase = await createTestDatabase(label);
  const outbox: TestDatabase | null = options.outboxDatabase
    ? await createTestDatabase(`${label}-outbox`)
    : null;
  const amqpProxy: TcpProxy = await createTcpProxy(5672);
  const pgProxy: TcpProxy = await createTcpProxy(5432);
  const logDir = logDirFor(`${label}-${vhost.name.slice(-6)}`);
  const crashes: Crash[] = [];
  const processes: FeedProcess[] = [];

  const viaProxy = (url: string, port: number) => {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(port);
    return parsed.toString();
  };
  /** What the processes connect to: every byte goes through the scenario's proxies. */
  const amqpUrl = options.broker?.amqpUrl ?? viaProxy(vhost.url, amqpProxy.port);
  const databaseUrl = viaProxy(database.url, pgProxy.port);
  const outboxUrl = outbox === null ? null : viaProxy(outbox.url, pgProxy.port);

  const start = (name: string, script: string, env: Record<string, string>) => {
    const process = startFeedProcess({
      name,
      script,
      env,
      logDir,
      onUnexpectedExit: (proc, exit) =>
        crashes.push({ name: proc.name, exit, lastLines: proc.lastLines(30) }),
    });
    processes.push(process);
    return process;
  };

  const waitHttpOk = async (
    description: string,
    url: string,
    process: FeedProcess,
    timeout = 30_000,
  ) => {
    const outcome = await waitFor(
      description,
      async () => {
        // An exit ends the wait at once: the start failed, and its log says why.
        if (process.exit() !== null) return 'exited';
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        return response.ok && 'ready';
      },
      { timeout, interval: 100 },
    );
    if (outcome === 'exited')
      throw new Error(`${process.name} exited at start:\n${process.lastLines(30).join('\n')}`);
  };

  let workerCount = 0;
  let serviceCount = 0;
  const workers: RunningWorker[] = [];
  /** The last duplicate count each worker reported; a killed worker keeps its last one. */
  const duplicatesSeen = new Map<RunningWorker, number>();
  const scrape = async (worker: RunningWorker) => {
    if (worker.process.exit() !== null) return;
    try {
      const response = await fetch(`${worker.httpUrl}/metrics`, {
        signal: AbortSignal.timeout(3000),
      });
      const text = await response.text();
      duplicatesSeen.set(worker, counterValue(text, 'feed_worker_events_duplicate_total'));
    } catch {
      // A worker being stopped may not answer; its last reading stays.
    }
  };

  const stack = {
    label,
    vhost,
    database,
    outbox,
    amqpProxy,
    pgProxy,
    amqpUrl,
    databaseUrl,
    outboxUrl,
    logDir,
    crashes,

    async startWorker(env: Record<string, string> = {}): Promise<RunningWorker> {
      workerCount += 1;
      const port = await freePort();
      const process = start(`worker-${workerCount}`, 'feed-worker/dist/main.js', {
        AMQP_URL: amqpUrl,
        DATABASE_URL: databaseUrl,
        FEED_QUEUE_TYPE: 'quorum',
        WORKER_BATCH_SIZE: '200',
        WORKER_BATCH_WAIT_MS: '20',
        WORKER_PREFETCH: '400',
        WORKER_HTTP_PORT: String(port),
        WORKER_HTTP_HOST: '127.0.0.1',
        WORKER_HEARTBEAT_S: '2',
        WORKER_RECONNECT_MIN_MS: '100',
        WORKER_RECONNECT_MAX_MS: '1000',
        WORKER_SHUTDOWN_TIMEOUT_MS: '15000',
        WORKER_DB_POOL_MAX: '3',
        ...options.workerEnv,
        ...env,
      });
      const httpUrl = `http://127.0.0.1:${port}`;
      await waitHttpOk(`${process.name} /readyz`, `${httpUrl}/readyz`, process);
      const worker = { process, httpUrl };
      workers.push(worker);
      return worker;
    },

    /** Sends a signal to a worker, after reading its metrics one last time. */
    async signalWorker(worker: RunningWorker, signal: NodeJS.Signals): Promise<void> {
      if (signal !== 'SIGKILL') await scrape(worker);
      worker.process.kill(signal);
    },

    /** Duplicates the workers skipped by (source, id), summed over every worker run so far. */
    async duplicatesAbsorbed(): Promise<number> {
      await Promise.all(workers.map(scrape));
      return [...duplicatesSeen.values()].reduce((a, b) => a + b, 0);
    },

    async startService(env: Record<string, string> = {}): Promise<RunningService> {
      serviceCount += 1;
      // A restarted service may take its predecessor's port, so stream clients find it again.
      const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
      const process = start(`service-${serviceCount}`, 'feed-service/dist/main.js', {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        AMQP_URL: amqpUrl,
        // A key for any source: the e2e tests publish as many sources.
        SERVICE_API_KEYS: `*=${serviceApiKey}`,
        SERVICE_ADMIN_TOKEN: serviceAdminToken,
        SERVICE_READ_TOKENS: '',
        SERVICE_RATE_LIMIT_MAX: '1000000',
        SERVICE_DB_POOL_MAX: '4',
        ...env,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitHttpOk(`${process.name} /readyz`, `${url}/readyz`, process);
      return { process, url };
    },

    async startRegistrar(env: Record<string, string> = {}) {
      if (outboxUrl === null) throw new Error('createFeedStack: outboxDatabase not requested');
      // A restarted registrar may take its predecessor's port, so its clients find it again.
      const port = env.REGISTRAR_PORT === undefined ? await freePort() : Number(env.REGISTRAR_PORT);
      const process = start('registrar', 'publishers/registrar/dist/main.js', {
        REGISTRAR_PORT: String(port),
        REGISTRAR_DATABASE_URL: outboxUrl,
        REGISTRAR_SOURCE: registrarSource,
        AMQP_URL: amqpUrl,
        ...env,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitHttpOk(`registrar /healthz`, `${url}/healthz`, process);
      return { process, url };
    },

    /** Fails the scenario when a process exited that nobody stopped or killed. */
    assertNoCrash(): void {
      if (crashes.length === 0) return;
      throw new Error(
        crashes
          .map(
            (c) =>
              `${c.name} exited unexpectedly (${c.exit.code ?? c.exit.signal}); last lines:\n${c.lastLines.join('\n')}`,
          )
          .join('\n\n'),
      );
    },

    /** Stops every process still running with SIGTERM; each must exit 0. */
    async stopAll(): Promise<void> {
      await Promise.all(workers.map(scrape));
      const results = await Promise.allSettled(processes.map((p) => p.stop()));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw new Error(failed.map((f) => String(f.reason)).join('\n'));
    },

    /** Kills whatever is left, closes the proxies and removes the vhost and databases. */
    async close(): Promise<void> {
      for (const process of processes) {
        if (process.exit() === null) {
          process.kill('SIGKILL');
          await process.exited;
        }
      }
      await amqpProxy.close();
      await pgProxy.close();
      await Promise.allSettled([vhost.drop(), database.drop(), outbox?.drop()]);
    },
  };
  return stack;
}

export type FeedStack = Awaited<ReturnType<typeof createFeedStack>>;
