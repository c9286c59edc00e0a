import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DeadLetters } from '@feed/dead';
import { waitFor } from '../../test-support/index.js';
import { cloudEvent, type ParkingBench } from '../../feed-dead/test/support.js';
import { adminHeaders, createParkingApp, type ParkingApp } from './parkingApp.js';

let parking: ParkingApp;
let bench: ParkingBench;
let app: FastifyInstance;
const headers = adminHeaders;
const appOn = (url: string) => parking.appOn(url);

beforeAll(async () => {
  parking = await createParkingApp('service-erasure-parked');
  ({ bench, app } = parking);
  // Parked by the worker: about the person in a JSON body (as actor, as a nested id), in
  // bytes that do not parse; and two that are not about them.
  await bench.publisher.publish(
    cloudEvent({ source: 'erase', id: 'p-actor', actor: 'emp-42', data: { employeeId: 1 } }),
  );
  await bench.publisher.publish(
    cloudEvent({
      source: 'erase',
      id: 'p-nested',
      data: { employeeId: 2, mentor: { id: 'emp-42' } },
    }),
  );
  await bench.publishRaw('{"actor":"emp-42", broken', { appId: 'erase', messageId: 'p-raw' });
  await bench.publisher.publish(
    cloudEvent({ source: 'erase', id: 'p-other', actor: 'emp-420', data: { employeeId: 3 } }),
  );
  await bench.publishRaw('{"actor":"emp-7", broken', { appId: 'erase', messageId: 'p-raw-other' });
  await waitFor('five parked', async () => (await bench.parked()) === 5, { timeout: 30_000 });
});
afterAll(async () => {
  await parking?.close();
});

it('erasing a person removes their parked messages, by value or by raw bytes, and keeps the rest', async () => {
  const erased = await app.inject({
    method: 'POST',
    url: '/admin/erasures',
    headers,
    payload: { person: 'emp-42' },
  });
  expect(erased.statusCode, erased.body).toBe(200);
  expect(erased.json()).toMatchObject({ person: 'emp-42', parked: 3 });
  expect(await bench.parked()).toBe(2);
  const left = await new DeadLetters({ urls: [bench.vhost.url] }).list();
  expect(left.total).toBe(2);
  const bodies = left.messages.map((message) => message.bodyPreview);
  expect(bodies.some((body) => body.includes('"emp-420"'))).toBe(true);
  expect(bodies.some((body) => body.includes('emp-7'))).toBe(true);
  expect(bodies.some((body) => body.includes('"emp-42"'))).toBe(false);
});

it('without a broker the feed database is erased and the answer says to send it again', async () => {
  const away = await appOn('amqp://guest:guest@127.0.0.1:1/');
  try {
    const answer = await away.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers,
      payload: { person: 'emp-7' },
    });
    expect(answer.statusCode).toBe(503);
    expect(answer.json().error).toMatchObject({ code: 'FEED_API_BROKER_UNAVAILABLE' });
    expect(answer.json().error.message).toMatch(/send the same erasure again/);
  } finally {
    await away.close();
  }
  const again = await app.inject({
    method: 'POST',
    url: '/admin/erasures',
    headers,
    payload: { person: 'emp-7' },
  });
  expect(again.json()).toMatchObject({ person: 'emp-7', parked: 1 });
  expect(await bench.parked()).toBe(1);
});
