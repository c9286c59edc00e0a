import { declareTopology } from '@feed/contracts';
import amqp from 'amqplib';
import pino from 'pino';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTcpProxy,
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TcpProxy,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker } from '../src/index.js';
import {
  createTestPublisher,
  memoryLogger,
  publishStream,
  storedFor,
  testConfig,
  viaPort,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let proxy: TcpProxy;

beforeAll(async () => {
  [vhost, db, proxy] = await Promise.all([
    createTestVhost('worker-connect-loop'),
    createTestDatabase('worker_connect_loop'),
    createTcpProxy(5672),
  ]);
});
afterAll(async () => {
  await proxy?.close();
  await vhost?.drop();
  await db?.drop();
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

it('keeps stack and heap flat over thousands of failed attempts, then connects', async () => {
  proxy.down();
  const depths: number[] = [];
  const heaps: number[] = [];
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  let attempts = 0;
  const worker = await startWorker(
    testConfig(viaPort(vhost.url, proxy.port), db.url, {
      WORKER_RECONNECT_MIN_MS: '0',
      WORKER_RECONNECT_MAX_MS: '1',
    }),
    {
      logger: pino({ level: 'silent' }),
      onAttempt: () => {
        attempts += 1;
        depths.push(new Error().stack!.split('\n').length);
        if (attempts === 200 || attempts === 3000) {
          gc();
          heaps.push(process.memoryUsage().heapUsed);
        }
      },
    },
  );
  try {
    await waitFor('3000 attempts', () => attempts >= 3000, { timeout: 50_000 });
    Error.stackTraceLimit = limit;
    expect(worker.isReady()).toBe(false);
    // A loop, never recursion: no attempt late is deeper than the deepest early (which path
    // resumed the loop, a timer or a socket event, changes a frame or two, and a rare path may
    // show first late, so the depths themselves are not compared), and all are shallow.
    const deepest = (from: number, to: number) => Math.max(...depths.slice(from, to));
    expect(deepest(2000, 3000)).toBeLessThanOrEqual(deepest(1, 1000));
    expect(Math.max(...depths)).toBeLessThan(20);
    // 2800 more failed attempts left the heap where it was (a leak per attempt of even 2 KB
    // would show as more than 5 MB).
    expect(heaps[1]! - heaps[0]!).toBeLessThan(5 * 1024 * 1024);
    proxy.up();
    await waitFor('ready once the broker is there', () => worker.isReady(), { timeout: 20_000 });
    const publisher = await createTestPublisher(vhost.url);
    try {
      await publishStream(publisher, 'after-outage', 10);
      await waitFor('stored', async () => (await storedFor(db.url, 'after-outage')) === 10);
    } finally {
      await publisher.close();
    }
  } finally {
    Error.stackTraceLimit = limit;
    await worker.stop();
  }
});

it('P12: stops with one clear error when feed.events exists with other arguments', async () => {
  // Another deployment declared the queue as classic.
  const connection = await amqp.connect(vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue('feed.events');
    await channel.deleteQueue('feed.dead');
    await channel.deleteQueue('feed.dead.dropped');
    await declareTopology(channel, { queueType: 'classic' });
  } finally {
    await connection.close();
  }

  const log = memoryLogger();
  let attempts = 0;
  const worker = await startWorker(testConfig(vhost.url, db.url, { FEED_QUEUE_TYPE: 'quorum' }), {
    logger: log.logger,
    onAttempt: () => (attempts += 1),
  });
  try {
    await expect(worker.done).rejects.toMatchObject({
      code: 'FEED_ERR_TOPOLOGY_MISMATCH',
      message: expect.stringMatching(
        /^queue 'feed\.events' exists with another 'x-queue-type' than this worker declares \(FEED_QUEUE_TYPE=quorum\)/,
      ),
    });
    expect(attempts).toBe(1);
    expect(worker.isReady()).toBe(false);
    const fatal = log.lines().filter((line) => line.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe('the worker cannot run; stopping');
  } finally {
    await worker.stop();
    const restore = await amqp.connect(vhost.url);
    try {
      const channel = await restore.createChannel();
      await channel.deleteQueue('feed.events');
      await channel.deleteQueue('feed.dead');
      await channel.deleteQueue('feed.dead.dropped');
    } finally {
      await restore.close();
    }
  }
});

it('P12: an exchange declared with another type stops the worker too', async () => {
  const connection = await amqp.connect(vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteExchange('feed');
    await channel.assertExchange('feed', 'direct', { durable: true });
  } finally {
    await connection.close();
  }
  let attempts = 0;
  const worker = await startWorker(testConfig(vhost.url, db.url), {
    logger: memoryLogger().logger,
    onAttempt: () => (attempts += 1),
  });
  try {
    await expect(worker.done).rejects.toMatchObject({
      code: 'FEED_ERR_TOPOLOGY_MISMATCH',
      message: expect.stringMatching(/inequivalent arg 'type' for exchange 'feed'/),
    });
    expect(attempts).toBe(1);
  } finally {
    await worker.stop();
    const restore = await amqp.connect(vhost.url);
    try {
      const channel = await restore.createChannel();
      await channel.deleteExchange('feed');
    } finally {
      await restore.close();
    }
  }
});
