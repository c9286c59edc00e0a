import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const adminToken = 'admin-token-0123456789abcdef';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase('service-long-path');
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

describe('an over-long path parameter', () => {
  it('answers 414 FEED_API_PATH_TOO_LONG in the API shape without echoing the path', async () => {
    const response = await app.inject(`/events/${'a'.repeat(5000)}`);
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'FEED_API_PATH_TOO_LONG', message: 'a path parameter is too long' },
    });
    expect(response.body).not.toContain('aaaa');
  });

  it('an id of 200 characters (the longest an event has) still reaches the route', async () => {
    const response = await app.inject(`/events/${'a'.repeat(200)}`);
    expect(response.statusCode).toBe(404);
    expect(errorOf(response.body).code).toBe('FEED_API_NOT_FOUND');
  });
});
