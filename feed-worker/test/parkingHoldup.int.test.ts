import { topology } from '@feed/contracts';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  rabbitmqctl,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import {
  cloudEvent,
  createTestPublisher,
  memoryLogger,
  readyz,
  storedFor,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let worker: WorkerHandle | undefined;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-holdup'),
    createTestDatabase('worker_holdup'),
  ]);
  publisher = await createTestPublisher(vhost.url);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(async () => {
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

/** Ready and unacknowledged messages of a queue, as the broker counts them. */
async function queueCounts(queue: string): Promise<{ ready: number; unacked: number }> {
  const out = await rabbitmqctl(
    'list_queues',
    '-q',
    '--no-table-headers',
    '-p',
    vhost.name,
    'name',
    'messages_ready',
    'messages_unacknowledged',
  );
  const line = out.split('\n').find((l) => l.trim().split(/\s+/)[0] === queue) ?? '';
  const [, ready = 'NaN', unacked = 'NaN'] = line.trim().split(/\s+/);
  return { ready: Number(ready), unacked: Number(unacked) };
}

const poison = (id: string) =>
  publisher.publish({ ...cloudEvent({ id, source: 'holdup' }), data: { name: 5 } });

it('a park the broker keeps refusing holds up only itself: later messages are acked, and /readyz, a metric and a log line name it', async () => {
  const log = memoryLogger();
  worker = await startWorker(
    testConfig(vhost.url, db.url, { WORKER_ACK_WAIT_MS: '500', WORKER_RECONNECT_MAX_MS: '200' }),
    { logger: log.logger },
  );
  await waitFor('the worker to be ready', () => worker!.isReady());
  // feed.dead full, refusing more: each park is nacked, for the broker's sake, again and again.
  // A quorum queue refuses once it is over its limit, not at it: two fillers for a limit of one.
  for (const filler of ['filler-1', 'filler-2'])
    publisher.channel.sendToQueue(topology.deadLetterQueue, Buffer.from(filler));
  await publisher.channel.waitForConfirms();
  await rabbitmqctl(
    'set_policy',
    '-p',
    vhost.name,
    'dead-full',
    '^feed\\.dead$',
    '{"max-length":1,"overflow":"reject-publish"}',
    '--apply-to',
    'queues',
  );
  try {
    await poison('stuck-1');
    const after = Array.from({ length: 30 }, () => cloudEvent({ source: 'holdup' }));
    await publisher.publishMany(after);
    await waitFor(
      'the later events stored',
      async () => (await storedFor(db.url, 'holdup')) === 30,
    );
    // Acked on their own once they waited WORKER_ACK_WAIT_MS: only the stuck one is unacked.
    await waitFor('only the stuck message unacked', async () => {
      const counts = await queueCounts(topology.queue);
      return counts.ready === 0 && counts.unacked === 1;
    });
    const ready = await waitFor('readyz naming the holdup', async () => {
      const answer = await readyz(worker!.httpPort);
      return answer.status === 503 && /holdup\/stuck-1/.test(answer.body) && answer;
    });
    expect(ready.body).toMatch(/unfinished for \d+ s, \d+ later messages finished/);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
    expect(Number(/^feed_worker_ack_holdup_seconds (\S+)/m.exec(metrics)![1])).toBeGreaterThan(0);
    expect(Number(/^feed_worker_park_retries_total (\S+)/m.exec(metrics)![1])).toBeGreaterThan(0);
    await waitFor('a log line naming it', () =>
      log
        .lines()
        .some(
          (line) =>
            line.msg === 'a message holds up the acks of the messages after it' &&
            /stuck-1/.test(String(line.holdup)),
        ),
    );
  } finally {
    // Room again: RabbitMQ 3.10 keeps a quorum queue refusing after its limit is cleared, so
    // feed.dead goes, and the worker declares it again when its next park comes back.
    await rabbitmqctl('clear_policy', '-p', vhost.name, 'dead-full');
    await publisher.channel.deleteQueue(topology.deadLetterQueue);
  }
  await waitFor(
    'the stuck message parked',
    async () => (await queueCounts(topology.deadLetterQueue)).ready === 1,
  );
  await waitFor('feed.events empty', async () => {
    const counts = await queueCounts(topology.queue);
    return counts.ready === 0 && counts.unacked === 0;
  });
  await waitFor('ready again', async () => (await readyz(worker!.httpPort)).status === 200);
  expect(
    (await publisher.deadLetters()).map((m) => m.properties.headers?.['x-feed-error-code']),
  ).toEqual(['FEED_ERR_SCHEMA']);
});

it('parking into a deleted feed.dead declares it again instead of losing the message', async () => {
  worker = await startWorker(testConfig(vhost.url, db.url, { WORKER_RECONNECT_MAX_MS: '200' }));
  await waitFor('the worker to be ready', () => worker!.isReady());
  await poison('before-delete');
  await waitFor(
    'the first park',
    async () => (await queueCounts(topology.deadLetterQueue)).ready === 1,
  );
  await publisher.channel.deleteQueue(topology.deadLetterQueue);
  await poison('after-delete');
  await waitFor(
    'feed.dead back, holding the new park',
    async () => (await queueCounts(topology.deadLetterQueue)).ready === 1,
  );
  expect(
    (await publisher.deadLetters()).map(
      (m) => m.properties.messageId ?? m.properties.headers?.['x-feed-park-id'],
    ),
  ).toHaveLength(1);
});
