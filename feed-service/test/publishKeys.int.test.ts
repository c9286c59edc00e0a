import amqp from 'amqplib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { declareTopology, topology } from '@feed/contracts';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import { createPool, type Pool } from '@feed/store';
import {
  createTestDatabase,
  createTestVhost,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { idleFeed } from './feedFixtures.js';

const registrarKey = 'registrar-key-0123456789';
const payrollKey = 'payroll-key-0123456789ab';
const relayKey = 'relay-key-0123456789abcd';

let db: TestDatabase;
let pool: Pool;
let vhost: TestVhost;
let publisher: FeedPublisher;
let app: FastifyInstance;
let base: string;
let connection: amqp.ChannelModel;
let channel: amqp.Channel;

beforeAll(async () => {
  db = await createTestDatabase('service-publish-keys');
  pool = createPool({ connectionString: db.url, max: 2 });
  vhost = await createTestVhost('service-publish-keys');
  publisher = createFeedPublisher({ url: vhost.url, source: 'feed-service', queueType: 'classic' });
  app = await buildApp({
    config: loadConfig({
      DATABASE_URL: db.url,
      SERVICE_MEMORY_CACHE: 'false',
      SERVICE_API_KEYS: `registrar=${registrarKey},payroll|hr=${payrollKey},*=${relayKey}`,
      SERVICE_API_KEY_EVENTS_PER_MINUTE: '5',
    }),
    pool,
    liveFeed: idleFeed,
    publisher,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  connection = await amqp.connect(vhost.url);
  channel = await connection.createChannel();
  // The queue exists before the first publish: a refused request publishes nothing.
  await declareTopology(channel, { queueType: 'classic' });
});
afterAll(async () => {
  await channel?.close();
  await connection?.close();
  await app?.close();
  await publisher?.close();
  await vhost?.drop();
  await pool?.end();
  await db?.drop();
});

const event = (overrides: Record<string, unknown> = {}) => ({
  type: 'department.renamed',
  data: { departmentId: 'd-1', from: 'Sales', to: 'Revenue' },
  ...overrides,
});

async function post(key: string, body: unknown) {
  const response = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as {
      error?: { code: string; message: string; param?: string };
      events?: Array<{ source: string; id: string }>;
    },
  };
}

/** Every message in feed.events now, as (source, id): the broker's word, not the API's. */
async function queued(): Promise<string[]> {
  const found: string[] = [];
  for (;;) {
    const message = await channel.get(topology.queue, { noAck: true });
    if (message === false) return found;
    const body = JSON.parse(message.content.toString()) as { source: string; id: string };
    found.push(`${body.source}/${body.id}`);
  }
}

describe('POST /events keys are bound to their sources', () => {
  it('refuses a registrar key publishing as payroll, the whole request, with the key and the fix named', async () => {
    const refused = await post(registrarKey, [
      event({ source: 'registrar', id: 'r-1' }),
      event({ source: 'payroll', id: 'p-1' }),
    ]);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'FEED_API_SOURCE_FORBIDDEN',
      message:
        'event 1: key:registrar may publish as registrar, not "payroll" (SERVICE_API_KEYS binds each key to its sources)',
      param: '/1/source',
    });
    expect(await queued()).toEqual([]);
  });

  it("gives an event without a source the key's first source, so an id never lands in another source's", async () => {
    const accepted = await post(registrarKey, event({ id: 'p-1' }));
    expect(accepted.status).toBe(202);
    expect(accepted.body.events).toEqual([
      { source: 'registrar', id: 'p-1', type: 'department.renamed' },
    ]);
    const both = await post(payrollKey, [event({ id: 'p-1' }), event({ source: 'hr', id: 'h-1' })]);
    expect(both.status).toBe(202);
    expect(await queued()).toEqual(['registrar/p-1', 'payroll/p-1', 'hr/h-1']);
  });

  it('leaves reactions to the reaction endpoints and keys for any source', async () => {
    const reaction = {
      type: 'reaction.added',
      data: { target: { source: 'hr', id: 'h-1' }, reaction: 'like', actor: 'u-1' },
    };
    const refused = await post(registrarKey, reaction);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('FEED_API_TYPE_FORBIDDEN');
    expect(refused.body.error?.message).toContain('key:registrar');
    const relayed = await post(relayKey, { ...reaction, source: 'reactions', id: 'x-1' });
    expect(relayed.status).toBe(202);
    expect(await queued()).toEqual(['reactions/x-1']);
  });

  it('counts events per key against SERVICE_API_KEY_EVENTS_PER_MINUTE, all or nothing', async () => {
    // The payroll key published 2 events above: 3 are left this minute.
    const over = await post(payrollKey, [event(), event(), event(), event()]);
    expect(over.status).toBe(429);
    expect(over.body.error?.code).toBe('FEED_API_KEY_QUOTA');
    expect(over.body.error?.message).toMatch(
      /^key:payroll\|hr may publish 5 events per minute \(SERVICE_API_KEY_EVENTS_PER_MINUTE\); 3 are left this minute and this request has 4: retry in \d+ s, or send fewer$/,
    );
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect(await queued()).toEqual([]);
    expect((await post(payrollKey, [event(), event(), event()])).status).toBe(202);
    // Another key has its own quota.
    expect((await post(registrarKey, [event(), event()])).status).toBe(202);
    expect(await queued()).toHaveLength(5);
  });
});
