import amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sweepLockQueue } from '@feed/dead';
import { waitFor } from '../../test-support/index.js';
import type { ParkingBench } from '../../feed-dead/test/support.js';
import { adminHeaders, createParkingApp, type ParkingApp } from './parkingApp.js';

let parking: ParkingApp;
let bench: ParkingBench;
let app: FastifyInstance;
const headers = adminHeaders;
const appOn = (url: string) => parking.appOn(url);

beforeAll(async () => {
  parking = await createParkingApp('service-dead');
  ({ bench, app } = parking);
  await bench.publishRaw('{bad', { appId: 'svc-a', messageId: 's-1' });
  await bench.publishRaw('{worse', { appId: 'svc-b', messageId: 's-2' });
  await waitFor('two parked', async () => (await bench.parked()) === 2);
  // Replayed messages stay in feed.events, where the test finds them.
  await bench.stopWorker();
});
afterAll(async () => {
  await parking?.close();
});

interface Listed {
  total: number;
  byCode: Record<string, number>;
  messages: Array<{ id: string; properties: { messageId: string } }>;
}

it('needs the admin token', async () => {
  for (const request of [
    { method: 'GET', url: '/admin/dead' },
    { method: 'POST', url: '/admin/dead/purge', payload: { all: true } },
  ] as const) {
    const missing = await app.inject(request);
    expect([missing.statusCode, missing.json().error.code]).toEqual([401, 'FEED_API_AUTH_MISSING']);
  }
  expect(await bench.parked()).toBe(2);
});

it('lists and shows parked messages', async () => {
  const listed = await app.inject({ url: '/admin/dead', headers });
  expect(listed.statusCode).toBe(200);
  const body = listed.json<Listed>();
  expect([body.total, body.byCode]).toEqual([2, { FEED_ERR_NOT_JSON: 2 }]);
  const s1 = body.messages.find((message) => message.properties.messageId === 's-1')!;
  const shown = await app.inject({ url: `/admin/dead/${encodeURIComponent(s1.id)}`, headers });
  expect(shown.json()).toMatchObject({
    id: s1.id,
    code: 'FEED_ERR_NOT_JSON',
    properties: { appId: 'svc-a', messageId: 's-1' },
    bodyPreview: '{bad',
    bodyEncoding: 'utf8',
  });
  const bySource = await app.inject({ url: '/admin/dead?source=svc-b&limit=0', headers });
  expect(bySource.json()).toMatchObject({ total: 1, messages: [] });
  const missing = await app.inject({ url: '/admin/dead/nope', headers });
  expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'FEED_API_NOT_FOUND']);
});

it('refuses a selection that is not exactly one of id, code, source, all', async () => {
  for (const payload of [{}, { all: true, code: 'X' }, { all: false }, { every: true }]) {
    const answer = await app.inject({ method: 'POST', url: '/admin/dead/purge', headers, payload });
    expect([answer.statusCode, answer.json().error.code], JSON.stringify(payload)).toEqual([
      400,
      'FEED_API_BAD_BODY',
    ]);
  }
  expect(await bench.parked()).toBe(2);
});

it('replays by source into feed.events and purges the rest', async () => {
  const replayed = await app.inject({
    method: 'POST',
    url: '/admin/dead/replay',
    headers,
    payload: { source: 'svc-a' },
  });
  expect(replayed.json()).toEqual({ done: 1, kept: 1, duplicates: 0 });
  expect(await bench.waiting()).toBe(1);
  const purged = await app.inject({
    method: 'POST',
    url: '/admin/dead/purge',
    headers,
    payload: { all: true },
  });
  expect(purged.json()).toEqual({ done: 1, kept: 0, duplicates: 0 });
  expect(await bench.parked()).toBe(0);
});

it('answers 409 while another operation runs, 503 without a broker', async () => {
  const connection = await amqp.connect(bench.vhost.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(sweepLockQueue, { exclusive: true, autoDelete: true });
    const busy = await app.inject({ url: '/admin/dead', headers });
    expect([busy.statusCode, busy.json().error.code]).toEqual([409, 'FEED_API_DEAD_BUSY']);
  } finally {
    await connection.close();
  }
  const away = await appOn('amqp://guest:guest@127.0.0.1:1/');
  try {
    const answer = await away.inject({ url: '/admin/dead', headers });
    expect([answer.statusCode, answer.json().error.code]).toEqual([
      503,
      'FEED_API_BROKER_UNAVAILABLE',
    ]);
  } finally {
    await away.close();
  }
});
