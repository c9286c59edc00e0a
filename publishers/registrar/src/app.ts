import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type pg from 'pg';
import { changePosition } from './changePosition.js';
import { registerEmployee } from './registerEmployee.js';
import { getEmployee } from './sql/getEmployee.js';

export interface AppOptions {
  pool: pg.Pool;
  /** The `source` of the events. Default `registrar`. */
  source?: string;
  /** A pino logger; default: none. */
  logger?: FastifyBaseLogger;
  /** What /healthz reports about the feed publisher (e.g. `publisher.state`). */
  publisherState?: () => string;
}

const Name = Type.String({ minLength: 1, maxLength: 200 });
const EmployeeId = Type.String({ format: 'uuid' });
const Employee = Type.Object({
  id: EmployeeId,
  name: Name,
  team: Name,
  position: Name,
  department: Type.Union([Name, Type.Null()]),
});
const EmployeeWithEvent = Type.Object({
  employee: Employee,
  eventId: Type.Union([Type.String(), Type.Null()], {
    description: 'id of the feed event this change produced; null when nothing changed',
  }),
});
const Problem = Type.Object({ error: Type.String(), message: Type.String() });

/** The registrar's HTTP API, as a Fastify instance that never listens (main.ts does). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const source = options.source ?? 'registrar';
  const app = Fastify({
    ...(options.logger === undefined ? {} : { loggerInstance: options.logger }),
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const { pool } = options;

  app.post(
    '/employees',
    {
      schema: {
        body: Type.Object(
          { name: Name, team: Name, position: Name, department: Type.Optional(Name) },
          { additionalProperties: false },
        ),
        response: { 201: EmployeeWithEvent },
      },
    },
    async (request, reply) => {
      const { employee, event } = await registerEmployee(pool, source, request.body);
      request.log.info({ employeeId: employee.id, eventId: event.id }, 'employee registered');
      return reply.code(201).send({ employee, eventId: event.id });
    },
  );

  app.patch(
    '/employees/:id',
    {
      schema: {
        params: Type.Object({ id: EmployeeId }),
        body: Type.Object({ position: Name }, { additionalProperties: false }),
        response: { 200: EmployeeWithEvent, 404: Problem },
      },
    },
    async (request, reply) => {
      const change = await changePosition(pool, source, request.params.id, request.body.position);
      if (!change.found)
        return reply.code(404).send({ error: 'not_found', message: 'no such employee' });
      return { employee: change.employee, eventId: change.event?.id ?? null };
    },
  );

  app.get(
    '/employees/:id',
    {
      schema: {
        params: Type.Object({ id: EmployeeId }),
        response: { 200: Employee, 404: Problem },
      },
    },
    async (request, reply) => {
      const employee = await getEmployee(pool, request.params.id);
      if (employee === undefined)
        return reply.code(404).send({ error: 'not_found', message: 'no such employee' });
      return employee;
    },
  );

  app.get('/healthz', async () => ({
    status: 'ok',
    publisher: options.publisherState?.() ?? 'unknown',
  }));

  await app.ready();
  return app;
}
