import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser } from '@asyncapi/parser';
import { catalogue } from '@feed/contracts';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase('service-docs');
  pool = createPool({ connectionString: db.url, max: 2 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

describe('API documents', () => {
  it('serves an OpenAPI document that the official parser validates', async () => {
    const response = await app.inject('/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json();
    await SwaggerParser.validate(structuredClone(document));
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/events', '/events/{id}', '/events/stream', '/catalogue']),
    );
    // Every catalogue type's data schema, as GET /catalogue serves it, validated with the rest.
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(Object.values(catalogue).map((schema) => schema.$id)),
    );
    expect(document.components.schemas.EmployeeRegistered.required).toEqual([
      'employeeId',
      'name',
      'team',
      'position',
    ]);
    const list = document.paths['/events'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'type',
        'source',
        'actor',
        'subject',
        'since',
        'until',
        'limit',
        'cursor',
      ]),
    );
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '400']));
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await app.inject('/docs/');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('swagger');
  });

  it('serves an AsyncAPI document that the official parser validates: one message per type, and the stream frames', async () => {
    const response = await app.inject('/asyncapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json();
    const diagnostics = await new Parser().validate(document);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document.channels.feedExchange.address).toBe('feed');
    expect(document.channels.feedQueue.address).toBe('feed.events');
    expect(Object.keys(document.components.messages).sort()).toEqual(
      [...Object.keys(catalogue), 'generic', 'message', 'reactions', 'removed'].sort(),
    );
    expect(document.channels.eventStream.address).toBe('/events/stream');
    expect(Object.keys(document.channels.eventStream.messages).sort()).toEqual([
      'message',
      'reactions',
      'removed',
    ]);
    expect(
      document.components.messages['employee.registered'].payload.properties.data.required,
    ).toEqual(expect.arrayContaining(['employeeId', 'name', 'team', 'position']));
  });
});
