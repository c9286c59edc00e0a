import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  adminUrl,
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { startWorker, type WorkerHandle } from '../src/index.js';
import {
  createTestPublisher,
  publishStream,
  query,
  readyz,
  storedFor,
  testConfig,
  type TestPublisher,
} from './support.js';

let vhost: TestVhost;
let db: TestDatabase;
let publisher: TestPublisher;
let worker: WorkerHandle | undefined;
// Roles belong to the whole server: a name of this test's own, dropped at the end.
const role = `feed_writer_${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('worker-grant'),
    createTestDatabase('worker_grant'),
  ]);
  await query(adminUrl(), `create role ${role} login`);
  await query(
    db.url,
    `grant select, insert, update on all tables in schema public to ${role};
     grant usage on all sequences in schema public to ${role}`,
  );
  publisher = await createTestPublisher(vhost.url);
});
afterAll(async () => {
  await worker?.stop();
  await publisher?.close();
  await vhost?.drop();
  await db?.drop();
  await query(adminUrl(), `drop role if exists ${role}`);
});

const counter = async (port: number, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
};

it('a lost INSERT grant is the database failing, not the messages: nothing is parked, all is stored once it is back', async () => {
  const url = new URL(db.url);
  url.username = role;
  worker = await startWorker(
    testConfig(vhost.url, url.toString(), { WORKER_RECONNECT_MAX_MS: '100' }),
    { unknownAttempts: 2 },
  );
  await waitFor('the worker to be ready', () => worker!.isReady());
  await publishStream(publisher, 'grant', 50);
  await waitFor('the first events', async () => (await storedFor(db.url, 'grant')) === 50);

  await query(db.url, `revoke insert on feed_events from ${role}`);
  await publishStream(publisher, 'grant', 50);
  // Well past the unknown-error tries and the write probe that follows them.
  await waitFor(
    'retries for the refused INSERT',
    async () => (await counter(worker!.httpPort, 'feed_worker_store_retries_total')) >= 10,
  );
  expect((await readyz(worker.httpPort)).status).toBe(503);
  expect(await counter(worker.httpPort, 'feed_worker_messages_parked_total')).toBe(0);

  await query(db.url, `grant insert on feed_events to ${role}`);
  await waitFor('every event stored', async () => (await storedFor(db.url, 'grant')) === 100);
  expect((await publisher.deadLetters()).length).toBe(0);
  await waitFor('ready again', async () => (await readyz(worker!.httpPort)).status === 200);
});
