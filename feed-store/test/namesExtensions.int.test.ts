import type { FeedEvent } from '@feed/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  feedStart,
  erasePerson,
  getEvent,
  insertEvents,
  listEvents,
  listEventsAfter,
  withTransaction,
  type Pool,
} from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('store-names');
  pool = createPool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const kudos: FeedEvent = {
  specversion: '1.0',
  id: 'k-1',
  source: 'kudos-app',
  type: 'kudos.sent',
  time: '2026-11-22T10:00:00.000Z',
  actor: 'hr-7',
  actorName: 'HR bot',
  subject: 'e-1',
  subjectName: 'Anna Smirnova',
  data: { text: 'thanks' },
  extensions: { summary: 'HR bot thanked Anna', traceparent: '00-ab-cd-01' },
};

const store = (events: FeedEvent[]) =>
  withTransaction(pool, (client) => insertEvents(client, events));

describe('display names and extension attributes', () => {
  it('are stored with the event and read back by every read', async () => {
    const plain: FeedEvent = { ...kudos, id: 'k-2', data: 1 };
    delete plain.actorName;
    delete plain.subjectName;
    delete plain.extensions;
    await store([kudos, plain]);
    const [read] = await getEvent(pool, { id: 'k-1', source: 'kudos-app' });
    expect(read).toMatchObject({
      actor: 'hr-7',
      actorName: 'HR bot',
      subject: 'e-1',
      subjectName: 'Anna Smirnova',
      data: { text: 'thanks' },
      extensions: { summary: 'HR bot thanked Anna', traceparent: '00-ab-cd-01' },
    });
    const listed = await listEvents(pool, { limit: 10, source: 'kudos-app' });
    expect(listed.map((e) => [e.id, e.actorName, e.subjectName, e.extensions])).toEqual([
      ['k-2', null, null, {}],
      ['k-1', 'HR bot', 'Anna Smirnova', kudos.extensions],
    ]);
    const after = await listEventsAfter(pool, { after: feedStart, limit: 10 });
    expect(after.find((e) => e.id === 'k-1')?.actorName).toBe('HR bot');
    // Filters match the id, not the name.
    expect(await listEvents(pool, { limit: 10, actor: 'HR bot' })).toEqual([]);
    expect((await listEvents(pool, { limit: 10, actor: 'hr-7' })).length).toBe(2);
  });

  it('are erased with the person', async () => {
    await store([{ ...kudos, id: 'k-3', source: 'erase-names', actor: 'p-9' }]);
    await withTransaction(pool, (client) => erasePerson(client, 'p-9'));
    const { rows } = await pool.query(
      `select actor, actor_name, subject, subject_name, data, extensions
         from feed_events where source = 'erase-names'`,
    );
    expect(rows).toEqual([
      {
        actor: null,
        actor_name: null,
        subject: null,
        subject_name: null,
        data: null,
        extensions: null,
      },
    ]);
  });
});
