import { topology } from '@feed/contracts';
import {
  createTestDatabase,
  createTestVhost,
  rabbitmqctl,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../../feed-worker/src/index.js';
import {
  createTestPublisher,
  testConfig,
  type TestPublisher,
} from '../../feed-worker/test/support.js';

export { query, cloudEvent } from '../../feed-worker/test/support.js';

/** A vhost, a database and a real worker: messages get parked by the code production runs. */
export interface ParkingBench {
  vhost: TestVhost;
  db: TestDatabase;
  publisher: TestPublisher;
  worker: WorkerHandle | undefined;
  /** Ready messages in feed.dead. */
  parked(): Promise<number>;
  /** Ready messages in feed.events. */
  waiting(): Promise<number>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Publishes raw bytes to feed.events (the default exchange), confirmed. */
  publishRaw(body: string | Buffer, options?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function createParkingBench(label: string): Promise<ParkingBench> {
  const [vhost, db] = await Promise.all([
    createTestVhost(label),
    createTestDatabase(label.replace(/-/g, '_')),
  ]);
  const publisher = await createTestPublisher(vhost.url);
  const bench: ParkingBench = {
    vhost,
    db,
    publisher,
    worker: undefined,
    async parked() {
      return (await publisher.channel.checkQueue(topology.deadLetterQueue)).messageCount;
    },
    async waiting() {
      return (await publisher.channel.checkQueue(topology.queue)).messageCount;
    },
    async startWorker() {
      bench.worker = await startWorker(testConfig(vhost.url, db.url));
      await waitFor('the worker to be ready', () => bench.worker!.isReady());
    },
    async stopWorker() {
      await bench.worker?.stop();
      bench.worker = undefined;
    },
    async publishRaw(body, options = {}) {
      await publisher.publishRaw(Buffer.isBuffer(body) ? body : Buffer.from(body), {
        contentType: 'application/json',
        ...options,
      });
    },
    async close() {
      await bench.stopWorker();
      await publisher.close();
      await vhost.drop();
      await db.drop();
    },
  };
  return bench;
}

/** A policy on the test's own vhost, e.g. a delivery limit on feed.dead. */
export async function setPolicy(
  vhost: string,
  name: string,
  pattern: string,
  definition: Record<string, unknown>,
): Promise<void> {
  await rabbitmqctl(
    'set_policy',
    '-p',
    vhost,
    '--apply-to',
    'queues',
    name,
    pattern,
    JSON.stringify(definition),
  );
}
