import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPool, getEvent, type Pool, type StoredEvent } from '@feed/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  createTestVhost,
  startWorker,
  waitFor,
  type TestDatabase,
  type TestVhost,
  type WorkerProcess,
} from '../../test-support/index.js';
import { startFeedReaders, type FeedReaders } from './feedReaders.js';
import { createTestPublisher, storedFor, type TestPublisher } from './support.js';

/**
 * The wire contract as the company's Python services meet it: plain pika and aio-pika
 * publishers (python/*.py, run with Debian's interpreter and packages) send one message of
 * every shape the README lists, and a compiled worker stores them.
 */
const pythonDir = fileURLToPath(new URL('./python/', import.meta.url));
const python = '/usr/bin/python3';
const run = promisify(execFile);

/** Events of one run of shapes.py: six single events and a bulk message of 10,000. */
const bulkSize = 10_000;
const expectedRows = 6 + bulkSize;

let vhost: TestVhost;
let db: TestDatabase;
let pool: Pool;
let publisher: TestPublisher;
let worker: WorkerProcess;
let readers: FeedReaders;

beforeAll(async () => {
  [vhost, db] = await Promise.all([
    createTestVhost('python-publishers'),
    createTestDatabase('python_publishers'),
  ]);
  pool = createPool({ connectionString: db.url, max: 2 });
  // Declares the topology, so what the publishers send before the worker consumes waits.
  publisher = await createTestPublisher(vhost.url);
  readers = await startFeedReaders(db.url);
  worker = await startWorker(vhost.url, db.url);
});
afterAll(async () => {
  await worker?.stop();
  await readers?.close();
  await publisher?.close();
  await pool?.end();
  await vhost?.drop();
  await db?.drop();
});

describe.each([
  ['pika, default exchange, routing key feed.events', 'pika_publisher.py', 'pika-hr'],
  ['aio-pika, the feed exchange', 'aio_pika_publisher.py', 'aio-pika-hr'],
])('%s', (_label, script, source) => {
  const stored = async (id: string): Promise<StoredEvent> => {
    const found = await getEvent(pool, { id, source });
    expect(found, `${source}/${id}`).toHaveLength(1);
    return found[0]!;
  };

  it('stores each shape once, with its type, time, actor and data; parks NaN naming the fix', async () => {
    const seen = await readers.watch(source);
    await run(python, [`${pythonDir}${script}`, vhost.url, source], {
      cwd: pythonDir,
      timeout: 60_000,
    });
    await waitFor(
      `${expectedRows} events of ${source}`,
      async () => (await storedFor(db.url, source)) === expectedRows,
      { timeout: 60_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nworker:\n${worker.output().slice(-4000)}`);
    });
    // Each event once, for readers too: GET /events walked by cursor and the stream.
    await seen.expectEachOnce([
      ...['kudos', 'plain', 'actor', 'github', 'ce', 'data'].map((shape) => `${source}-${shape}`),
      ...Array.from({ length: bulkSize }, (_, i) => `imp-${i}`),
    ]);

    const none = { actor: null, actorName: null, subject: null, subjectName: null };
    expect(await stored(`${source}-kudos`)).toMatchObject({
      type: 'kudos.sent',
      time: '2026-11-22T10:00:00.000Z',
      ...none,
      data: { text: 'thanks' },
      extensions: {},
    });
    expect(await stored(`${source}-plain`)).toMatchObject({
      type: 'kudos.sent',
      // datetime(...).isoformat() has no offset: read as UTC.
      time: '2026-11-22T10:00:00.123Z',
      ...none,
      actor: 'u-17',
      data: { text: 'well done' },
      extensions: {},
    });
    expect(await stored(`${source}-actor`)).toMatchObject({
      type: 'team.kudos',
      actor: 'hr-7',
      actorName: 'HR bot',
      data: { team: 'Platform' },
      extensions: { summary: 'HR bot thanked Platform' },
    });
    expect(await stored(`${source}-github`)).toMatchObject({
      type: 'repo.starred',
      actor: '42',
      actorName: 'octocat',
      subject: 'feed',
      subjectName: 'The feed',
      data: { stars: 3 },
    });
    expect(await stored(`${source}-ce`)).toMatchObject({
      type: 'department.renamed',
      time: '2026-11-22T10:00:00.000Z',
      data: { departmentId: 'd-1', from: 'Sales', to: 'Revenue' },
      extensions: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(await stored(`${source}-data`)).toMatchObject({
      type: 'employee.position_changed',
      time: '2026-11-22T10:00:00.000Z',
      subject: 'e-42',
      actor: null,
      data: {
        employeeId: 'e-42',
        name: 'Ada Lovelace',
        position: 'Lead Analyst',
        type: 'promotion',
      },
      extensions: {},
    });
    for (const i of [0, 4_321, bulkSize - 1])
      expect(await stored(`imp-${i}`)).toMatchObject({
        type: 'employee.imported',
        data: { employeeId: `e-${i}`, team: 'Sales' },
      });

    const parked = await waitFor('the NaN message parked', async () => {
      const dead = await publisher.deadLetters();
      return dead.find((message) => message.properties.messageId === `${source}-nan`) ?? false;
    });
    expect(parked.properties.headers).toMatchObject({ 'x-feed-error-code': 'FEED_ERR_NOT_JSON' });
    expect(String(parked.properties.headers!['x-feed-error'])).toMatch(
      /^body is not JSON: NaN at position \d+ is no JSON value; send null instead \(Python: json\.dumps\(\.\.\., allow_nan=False\)/,
    );
    await waitFor('an empty queue', async () => (await publisher.queueDepth()) === 0);
  });
});
