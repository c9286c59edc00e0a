import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { FeedError, FeedErrorCode, parseMessage, topology, type FeedEvent } from '@feed/contracts';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import { createPool, type Pool } from '@feed/store';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { EventPublisher, PublishEventInput } from '../src/eventPublisher.js';
import { idleFeed } from './feedFixtures.js';

const apiKey = 'api-key-0123456789abcdef';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('service-publish');
  pool = createPool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function appWith(publisher: EventPublisher | undefined, env: Record<string, string> = {}) {
  return buildApp({
    config: loadConfig({
      DATABASE_URL: db.url,
      SERVICE_API_KEYS: `*=${apiKey}`,
      SERVICE_MEMORY_CACHE: 'false',
      ...env,
    }),
    pool,
    liveFeed: idleFeed,
    publisher,
  });
}

const registeredEvent = (name: string, id?: string) => ({
  type: 'employee.registered',
  ...(id === undefined ? {} : { id }),
  source: 'hr-http',
  data: { employeeId: `e-${name}`, name, team: 'Platform', position: 'Backend developer' },
});

describe('POST /events (recording publisher)', () => {
  const calls: PublishEventInput[][] = [];
  let failWith: FeedError | undefined;
  const recording: EventPublisher = {
    async publish(events) {
      if (failWith !== undefined) throw failWith;
      calls.push([...events]);
      return events.map((e, i) => ({
        specversion: '1.0',
        id: e.id ?? `generated-${i}`,
        source: e.source ?? 'feed-service',
        type: e.type,
        time: e.time ?? new Date().toISOString(),
        data: e.data,
      })) as FeedEvent[];
    },
    async close() {},
  };
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appWith(recording);
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (payload: unknown, headers: Record<string, string> = { 'x-api-key': apiKey }) =>
    app.inject({ method: 'POST', url: '/events', headers, payload: payload as object });

  it('publishes one event or an array and answers 202', async () => {
    const one = await post(registeredEvent('Anna', 'a-1'));
    expect(one.statusCode).toBe(202);
    expect(one.json()).toEqual({
      accepted: 1,
      events: [{ source: 'hr-http', id: 'a-1', type: 'employee.registered' }],
    });
    const many = await post([registeredEvent('B'), { type: 'kudos.given', data: { to: 'x' } }], {
      authorization: `Bearer ${apiKey}`,
    });
    expect(many.statusCode).toBe(202);
    expect(many.json().accepted).toBe(2);
    expect(calls.at(-1)!.map((e) => e.type)).toEqual(['employee.registered', 'kudos.given']);
  });

  it.each([
    ['no type', { data: {} }, 400, 'FEED_API_INVALID_EVENT', 'body'],
    ['a bad type', { type: 'not a type', data: {} }, 400, 'FEED_API_INVALID_EVENT', '/type'],
    [
      'an actor object without an id',
      { type: 'a.b', data: {}, actor: { name: 'HR bot' } },
      400,
      'FEED_API_INVALID_EVENT',
      '/actor',
    ],
    ['a bad time', { type: 'a.b', data: {}, time: 'noon' }, 400, 'FEED_API_INVALID_EVENT', '/time'],
    ['an empty array', [], 400, 'FEED_API_INVALID_EVENT', 'body'],
    [
      'catalogue data missing a field',
      [registeredEvent('ok'), { type: 'employee.registered', data: { name: 'x' } }],
      400,
      'FEED_API_INVALID_EVENT',
      '/1/data',
    ],
  ])('refuses %s', async (_label, payload, status, code, param) => {
    const before = calls.length;
    const response = await post(payload);
    expect(response.statusCode).toBe(status);
    expect(response.json().error).toMatchObject({ code, param });
    expect(calls.length).toBe(before);
  });

  it('reads each event by the wire contract: plain objects, actor objects, extensions', async () => {
    const response = await post([
      { type: 'kudos.sent', text: 'thanks', actor: { id: 'hr-7', name: 'HR bot' } },
      { type: 'kudos.sent', data: { text: 'thanks' }, summary: 'Anna thanked Oleg', id: 17 },
      { specversion: '1.0', type: 'ping.sent', colour: 'red' },
      { type: 'a.b', time: '2026-11-22T10:00:00.123456', data: null },
    ]);
    expect(response.statusCode, response.body).toBe(202);
    // Events without a source get the key's default (feed-service for a key for any source).
    const source = 'feed-service';
    expect(calls.at(-1)).toEqual([
      {
        type: 'kudos.sent',
        source,
        data: { text: 'thanks' },
        actor: { id: 'hr-7', name: 'HR bot' },
      },
      {
        type: 'kudos.sent',
        source,
        id: '17',
        data: { text: 'thanks' },
        extensions: { summary: 'Anna thanked Oleg' },
      },
      { type: 'ping.sent', source, data: null, extensions: { colour: 'red' } },
      { type: 'a.b', source, time: '2026-11-22T10:00:00.123456', data: null },
    ]);
  });

  it('takes an array as large as the body limit, publishing it in parts', async () => {
    const before = calls.length;
    const events = Array.from({ length: 2500 }, (_, i) => ({ type: 'bulk.row', data: { i } }));
    const response = await post(events);
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json().accepted).toBe(2500);
    expect(calls.slice(before).map((part) => part.length)).toEqual([1000, 1000, 500]);
  });

  it('publishes nothing of a large array when one of its events is invalid', async () => {
    const before = calls.length;
    const events: unknown[] = Array.from({ length: 2000 }, (_, i) => ({
      type: 'bulk.row',
      data: { i },
    }));
    events[1500] = { type: 'bulk.row', data: { constructor: 1 } };
    const response = await post(events);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(
      /^event 1500 is invalid \(FEED_ERR_FORBIDDEN_KEY\)/,
    );
    expect(calls.length).toBe(before);
  });

  it('refuses bodies that are too large, not JSON, or of another media type', async () => {
    const big = await post({ type: 'a.b', data: { text: 'x'.repeat(1024 * 1024 + 10) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('FEED_API_BODY_TOO_LARGE');
    const notJson = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      payload: '{"type":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('FEED_API_BAD_BODY');
    const text = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'x-api-key': apiKey, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('FEED_API_UNSUPPORTED_MEDIA_TYPE');
  });

  it('needs an API key', async () => {
    const missing = await post(registeredEvent('x'), {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.code).toBe('FEED_API_AUTH_MISSING');
    const wrong = await post(registeredEvent('x'), { 'x-api-key': 'wrong-key-0123456789abc' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('FEED_API_AUTH_INVALID');
    const off = await buildApp({
      config: loadConfig({ DATABASE_URL: db.url, SERVICE_MEMORY_CACHE: 'false' }),
      pool,
      liveFeed: idleFeed,
      publisher: recording,
    });
    try {
      const refused = await off.inject({
        method: 'POST',
        url: '/events',
        payload: registeredEvent('x'),
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('FEED_API_AUTH_DISABLED');
    } finally {
      await off.close();
    }
  });

  it('answers 503 with a code when the broker does not confirm, or no publisher is set up', async () => {
    failWith = new FeedError(FeedErrorCode.PublishTimeout, 'no confirm within 10000 ms');
    try {
      const response = await post(registeredEvent('late'));
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json().error.code).toBe('FEED_API_BROKER_UNAVAILABLE');
    } finally {
      failWith = undefined;
    }
    const without = await appWith(undefined);
    try {
      const response = await without.inject({
        method: 'POST',
        url: '/events',
        headers: { 'x-api-key': apiKey },
        payload: registeredEvent('x'),
      });
      expect(response.statusCode).toBe(503);
      expect(response.json().error.code).toBe('FEED_API_PUBLISH_UNAVAILABLE');
    } finally {
      await without.close();
    }
  });
});

describe('POST /events (real publisher and broker)', () => {
  let vhost: TestVhost;
  let publisher: FeedPublisher;
  let app: FastifyInstance;

  beforeAll(async () => {
    vhost = await createTestVhost('service-publish');
    publisher = createFeedPublisher({
      url: vhost.url,
      source: 'feed-service',
      queueType: 'classic',
    });
    app = await appWith(publisher);
  });
  afterAll(async () => {
    await app?.close();
    await publisher?.close();
    await vhost?.drop();
  });

  it('lands each event in feed.events as a persistent, confirmed message', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'x-api-key': apiKey },
      payload: [registeredEvent('Anna', 'http-1'), { type: 'kudos.given', data: { to: 'Oleg' } }],
    });
    expect(response.statusCode, response.body).toBe(202);
    const [first, second] = response.json().events;
    expect(first).toEqual({ source: 'hr-http', id: 'http-1', type: 'employee.registered' });
    expect(second).toMatchObject({ source: 'feed-service', type: 'kudos.given' });

    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createChannel();
      const messages: amqp.GetMessage[] = [];
      await waitFor('both messages in the queue', async () => {
        const message = await channel.get(topology.queue, { noAck: true });
        if (message !== false) messages.push(message);
        return messages.length === 2;
      });
      const bodies = messages.map((m) => JSON.parse(m.content.toString()));
      expect(bodies.map((b) => [b.source, b.id, b.type])).toEqual([
        ['hr-http', 'http-1', 'employee.registered'],
        ['feed-service', second.id, 'kudos.given'],
      ]);
      expect(bodies[0].data).toMatchObject({ name: 'Anna' });
      expect(messages.every((m) => m.properties.deliveryMode === 2)).toBe(true);
      expect(await channel.get(topology.queue)).toBe(false);
      await channel.close();
    } finally {
      await connection.close();
    }
  });
  it('sends what the worker will store: names, extensions, UTC times', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'x-api-key': apiKey },
      payload: {
        type: 'kudos.sent',
        id: 'http-kudos',
        text: 'thanks',
        time: '2026-11-22T10:00:00.123456',
        actor: { id: 42, login: 'octocat' },
      },
    });
    expect(response.statusCode, response.body).toBe(202);
    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createChannel();
      const message = await waitFor('the message in the queue', () =>
        channel.get(topology.queue, { noAck: true }),
      );
      expect(parseMessage(message.content, message.properties)).toEqual({
        ok: true,
        events: [
          {
            specversion: '1.0',
            id: 'http-kudos',
            source: 'feed-service',
            type: 'kudos.sent',
            time: '2026-11-22T10:00:00.123Z',
            actor: '42',
            actorName: 'octocat',
            data: { text: 'thanks' },
          },
        ],
      });
      await channel.close();
    } finally {
      await connection.close();
    }
  });
});
