import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFeedPublisher,
  startOutboxRelay,
  type FeedPublisher,
  type OutboxRelay,
} from '@feed/publisher';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../../test-support/index.js';
import { readQueue, type QueueReader } from '../../sdk/test/support/queueReader.js';
import { buildApp } from '../src/app.js';
import { migrate } from '../src/migrations.js';

describe('registrar', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pool: pg.Pool;
  let publisher: FeedPublisher;
  let relay: OutboxRelay;
  let app: FastifyInstance;
  let reader: QueueReader;

  beforeAll(async () => {
    db = await createTestDatabase('registrar');
    vhost = await createTestVhost('registrar');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => {});
    expect(await migrate(pool)).toEqual([
      '001_employees',
      '002_feed_outbox',
      '003_feed_outbox_set_aside',
    ]);
    expect(await migrate(pool)).toEqual([]);
    publisher = createFeedPublisher({ url: vhost.url, source: 'registrar' });
    relay = startOutboxRelay({ pool, publisher, pollIntervalMs: 200 });
    app = await buildApp({ pool, publisherState: () => publisher.state });
    reader = await readQueue(vhost.url);
  });
  afterAll(async () => {
    await app?.close();
    await relay?.stop();
    await publisher?.close();
    await reader?.close();
    await pool?.end();
    await vhost?.drop();
    await db?.drop();
  });

  const messagesOfType = (type: string) =>
    reader.messages
      .filter((m) => m.fields.routingKey === type)
      .map((m) => JSON.parse(m.content.toString()));

  it('POST /employees stores the employee and produces exactly one employee.registered', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/employees',
      payload: { name: 'Ada Lovelace', team: 'Engines', position: 'Analyst', department: 'R&D' },
    });
    expect(response.statusCode).toBe(201);
    const { employee, eventId } = response.json();
    expect(employee).toMatchObject({ name: 'Ada Lovelace', team: 'Engines', position: 'Analyst' });

    await waitFor(
      'the event in the queue',
      () => messagesOfType('employee.registered').length >= 1,
    );
    await waitFor('the outbox drained', async () => {
      const { rows } = await pool.query('select 1 from feed_outbox where sent_at is null');
      return rows.length === 0;
    });
    const events = messagesOfType('employee.registered');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: eventId,
      source: 'registrar',
      subject: employee.id,
      data: {
        employeeId: employee.id,
        name: 'Ada Lovelace',
        team: 'Engines',
        position: 'Analyst',
        department: 'R&D',
      },
    });
  });

  it('PATCH /employees/:id changes the position and produces employee.position_changed', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/employees',
      payload: { name: 'Grace Hopper', team: 'Compilers', position: 'Engineer' },
    });
    const { employee } = created.json();
    const changed = await app.inject({
      method: 'PATCH',
      url: `/employees/${employee.id}`,
      payload: { position: 'Rear Admiral' },
    });
    expect(changed.statusCode).toBe(200);
    const { eventId } = changed.json();
    const same = await app.inject({
      method: 'PATCH',
      url: `/employees/${employee.id}`,
      payload: { position: 'Rear Admiral' },
    });
    expect(same.json()).toMatchObject({ eventId: null });

    await waitFor(
      'the change in the queue',
      () => messagesOfType('employee.position_changed').length >= 1,
    );
    expect(messagesOfType('employee.position_changed')).toEqual([
      expect.objectContaining({
        id: eventId,
        data: {
          employeeId: employee.id,
          name: 'Grace Hopper',
          position: 'Rear Admiral',
          previousPosition: 'Engineer',
          team: 'Compilers',
        },
      }),
    ]);
    const fetched = await app.inject({ method: 'GET', url: `/employees/${employee.id}` });
    expect(fetched.json()).toMatchObject({ position: 'Rear Admiral' });
  });

  it('refuses bad input with 400 and an unknown employee with 404, producing no event', async () => {
    const before = reader.messages.length;
    const bad = await app.inject({
      method: 'POST',
      url: '/employees',
      payload: { name: '', team: 'x', position: 'y' },
    });
    expect(bad.statusCode).toBe(400);
    const missing = await app.inject({
      method: 'PATCH',
      url: '/employees/00000000-0000-4000-8000-000000000000',
      payload: { position: 'y' },
    });
    expect(missing.statusCode).toBe(404);
    const { rows } = await pool.query('select count(*)::int as n from feed_outbox');
    expect(rows[0].n).toBe(3);
    expect(reader.messages.length).toBe(before);
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({
      status: 'ok',
      publisher: 'connected',
    });
  });
});
