import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  rabbitmqctl,
  waitFor,
  withMemoryAlarm,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker } from '../src/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import {
  cloudEvent,
  consumerCount,
  createTestPublisher,
  memoryLogger,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let readers: FeedReaders;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-memory-alarm'),
    createTestDatabase('worker_memory_alarm'),
  ]);
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
});
afterAll(async () => {
  await readers?.close();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

/** The state (`running`, `blocking`, `blocked`) of each connection of the vhost, by its name. */
async function connectionStates(): Promise<Map<string, string>> {
  const out = await rabbitmqctl(
    'list_connections',
    '-q',
    '--no-table-headers',
    'vhost',
    'state',
    'client_properties',
  );
  const states = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [lineVhost, state, properties] = line.split('\t');
    const name = /\{"connection_name","([^"]*)"\}/.exec(properties ?? '')?.[1];
    if (lineVhost === vhost.name && name !== undefined && state !== undefined)
      states.set(name, state);
  }
  return states;
}

// A real memory alarm blocks every publishing connection of the broker: this runs in the
// serial project, alone, and withMemoryAlarm restores the watermark whatever happens.
it('P7: under a memory alarm parking is blocked but consuming is not; the parks complete once it clears', async () => {
  const source = 'memory-alarm';
  const seen = await readers.watch(source);
  // A backlog, published before the alarm (a publisher could not publish during it): good
  // events with messages to park among them.
  const good = Array.from({ length: 240 }, () => cloudEvent({ source }));
  await publisher.publishMany(good.slice(0, 120));
  const poison = ['alarm-poison-1', 'alarm-poison-2', 'alarm-poison-3'];
  for (const messageId of poison)
    await publisher.publishRaw(Buffer.from('{not json'), { messageId });
  await publisher.publishMany(good.slice(120));

  await withMemoryAlarm(async (clear) => {
    const log = memoryLogger();
    const w = await startWorker(testConfig(vhost.url, db.url), { logger: log.logger });
    try {
      await waitFor('the worker to be ready', () => w.isReady(), { timeout: 20_000 });
      // Parking publishes, so the broker blocks its connection...
      const states = await waitFor(
        'the parking connection blocked',
        async () => {
          const now = await connectionStates();
          return [...now].some(([name, state]) => name.includes('parking') && state === 'blocked')
            ? now
            : false;
        },
        { timeout: 30_000, interval: 250 },
      );
      // ...and only it: the consumer's connection, which only acks, goes on, consumer attached
      // (`blocking`: the alarm is on, but a connection that has not published is still read).
      const consumerState = [...states].find(([name]) => /^feed-worker (?!parking)/.test(name));
      expect(consumerState?.[1]).toBe('blocking');
      expect(await consumerCount(vhost.name)).toBe(1);
      // The block is visible in the worker's own words.
      await waitFor('the block in the log', () =>
        log
          .lines()
          .some((line) => line.msg === 'broker blocked the parking connection (resource alarm)'),
      );
      // The copies wait with their originals: nothing is parked, or acked, before the broker
      // has taken the copy.
      expect(await publisher.deadLetters()).toHaveLength(0);

      await clear();
      const parked: Awaited<ReturnType<TestPublisher['deadLetters']>> = [];
      const dead = await waitFor(
        'the parks to complete after the alarm',
        async () => {
          const letters = await publisher.deadLetters();
          parked.push(...letters);
          return parked.length >= poison.length ? parked : false;
        },
        { timeout: 40_000, interval: 250 },
      );
      expect(dead.map((letter) => letter.properties.messageId).sort()).toEqual(poison);
      expect(
        dead.map((letter) => String(letter.properties.headers?.['x-feed-error-code'])),
      ).toEqual(['FEED_ERR_NOT_JSON', 'FEED_ERR_NOT_JSON', 'FEED_ERR_NOT_JSON']);
      await seen.expectEachOnce(good.map((event) => event.id as string));
      await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
    } finally {
      await w.stop();
    }
  });
});
