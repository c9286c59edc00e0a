import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import {
  cloudEvent,
  createTestPublisher,
  query,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let readers: FeedReaders;
let worker: WorkerHandle;

const batchSize = 50;
/** The worker's README: "An error of unknown kind is retried 3 times", then it probes. */
const unknownAttempts = 3;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-refused-row'),
    createTestDatabase('worker_refused_row'),
  ]);
  // A rule of this database the worker knows nothing about: one marked event is refused with
  // a SQLSTATE of no known class. The sequence counts the attempts (a sequence is not rolled
  // back with the transaction that the exception aborts).
  await query(
    db.url,
    `create sequence refused_attempts;
     create function refuse_marked() returns trigger language plpgsql as $$
     begin
       if new.event_id like 'refuse-me-%' then
         perform nextval('refused_attempts');
         raise exception 'event % is on the refusal list', new.event_id using errcode = 'FE001';
       end if;
       return new;
     end $$;
     create trigger refuse_marked before insert on feed_events
       for each row execute function refuse_marked();`,
  );
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
  worker = await startWorker(
    testConfig(vhost.url, db.url, {
      WORKER_BATCH_SIZE: String(batchSize),
      WORKER_BATCH_WAIT_MS: '50',
    }),
  );
  await waitFor('the worker to be ready', () => worker.isReady());
});
afterAll(async () => {
  await worker?.stop();
  await readers?.close();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
});

it('P6: a row refused with an unknown SQLSTATE is parked with its reason in bounded attempts; the rest flow', async () => {
  const source = 'refused-row';
  const seen = await readers.watch(source);
  const before = Array.from({ length: 120 }, () => cloudEvent({ source }));
  const poison = cloudEvent({ source, id: 'refuse-me-1' });
  const after = Array.from({ length: 120 }, () => cloudEvent({ source }));
  // One burst, the marked event in the middle: it shares its batch with good neighbours.
  await publisher.publishMany([...before, poison, ...after]);

  const [dead] = await waitFor('the refused message parked', async () => {
    const letters = await publisher.deadLetters();
    return letters.length > 0 ? letters : false;
  });
  expect(JSON.parse(dead!.content.toString()).id).toBe('refuse-me-1');
  const headers = dead!.properties.headers!;
  expect(String(headers['x-feed-error-code'])).toBe('FEED_ERR_REFUSED');
  expect(String(headers['x-feed-error'])).toMatch(
    /event refuse-me-1 is on the refusal list.*SQLSTATE FE001/,
  );
  // Each group holding it is tried `unknownAttempts` times before it is split in halves, so
  // no more than that many times per level of the split.
  const [{ attempts }] = (await query<{ attempts: string }>(
    db.url,
    'select last_value as attempts from refused_attempts',
  )) as [{ attempts: string }];
  expect(Number(attempts)).toBeLessThanOrEqual(
    unknownAttempts * (Math.ceil(Math.log2(batchSize)) + 1),
  );

  // Its neighbours, and what came after, are stored, each once; nothing else was parked.
  const good = [...before, ...after].map((event) => event.id as string);
  await seen.expectEachOnce(good);
  expect(await publisher.deadLetters()).toHaveLength(0);
  expect(worker.isReady()).toBe(true);
  const more = Array.from({ length: 20 }, () => cloudEvent({ source: 'after-refusal' }));
  const flowing = await readers.watch('after-refusal');
  await publisher.publishMany(more);
  await flowing.expectEachOnce(more.map((event) => event.id as string));
});
