import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, getEvent, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { errorsPlugin } from '../src/plugins/errors.js';
import Fastify from 'fastify';

const adminToken = 'admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${adminToken}` };

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase('service-nul-input');
  pool = createPool({ connectionString: db.url, max: 4 });
  app = await buildApp({
    config: loadConfig({ DATABASE_URL: db.url, SERVICE_ADMIN_TOKEN: adminToken }),
    pool,
  });
  await waitFor('ready', async () => (await app.inject('/readyz')).statusCode === 200);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

const errorOf = (body: string) => (JSON.parse(body) as { error: Record<string, unknown> }).error;

describe('a NUL character in any parameter', () => {
  const cases: Array<[string, 'GET' | 'DELETE', string, string, string]> = [
    ['GET /events/%00', 'GET', '/events/%00', 'FEED_API_BAD_PARAM', 'id'],
    ['GET /events/x?source=%00', 'GET', '/events/x?source=%00', 'FEED_API_BAD_FILTER', 'source'],
    ['GET /events?source=%00', 'GET', '/events?source=%00', 'FEED_API_BAD_FILTER', 'source'],
    ['GET /events?actor=%00', 'GET', '/events?actor=%00', 'FEED_API_BAD_FILTER', 'actor'],
    ['GET /events?subject=a%00b', 'GET', '/events?subject=a%00b', 'FEED_API_BAD_FILTER', 'subject'],
    ['GET /events?type=%00', 'GET', '/events?type=%00', 'FEED_API_BAD_TYPE', 'type'],
    [
      'GET /events/stream?actor=%00',
      'GET',
      '/events/stream?actor=%00',
      'FEED_API_BAD_FILTER',
      'actor',
    ],
    ['DELETE /events/%00', 'DELETE', '/events/%00', 'FEED_API_BAD_PARAM', 'id'],
    [
      'DELETE /events/x?source=%00',
      'DELETE',
      '/events/x?source=%00',
      'FEED_API_BAD_FILTER',
      'source',
    ],
  ];
  it.each(cases)('%s answers 400 with a stable code', async (_label, method, url, code, param) => {
    const response = await app.inject({ method, url, headers: admin });
    expect(response.statusCode, response.body).toBe(400);
    expect(errorOf(response.body)).toEqual({
      code,
      param,
      message: expect.stringContaining('NUL') as unknown,
    });
  });

  it('POST /admin/erasures with a NUL person answers 400 FEED_API_BAD_BODY', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: JSON.stringify({ person: 'emp-\u0000' }),
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(errorOf(response.body)).toMatchObject({ code: 'FEED_API_BAD_BODY', param: '/person' });
  });

  it('a NUL that reaches PostgreSQL anyway (SQLSTATE 22021) is a 400, not a 500', async () => {
    // The store refuses it exactly as the routes would have without their schemas.
    const refused = await getEvent(pool, { id: '\u0000' }).catch((error: unknown) => error);
    expect((refused as { code?: string }).code).toBe('22021');
    const bare = Fastify();
    await bare.register(errorsPlugin);
    bare.get('/raw', async () => getEvent(pool, { id: '\u0000' }));
    const response = await bare.inject('/raw');
    await bare.close();
    expect(response.statusCode, response.body).toBe(400);
    expect(errorOf(response.body).code).toBe('FEED_API_BAD_PARAM');
  });
});
