import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { catalogue } from '@feed/contracts';
import { buildAsyncApiDocument } from '../asyncApiDocument.js';
import { documentHeaders } from '../plugins/security.js';
import { inlineSchema } from '../schemas.js';

/**
 * OpenAPI from the route schemas (GET /openapi.json), Swagger UI at /docs, and the AMQP
 * contract for publishers as AsyncAPI (GET /asyncapi.json). Registered
 * before the routes: @fastify/swagger collects them as they are added.
 */
export const docsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      // Shared schemas keep their names (EmployeeRegistered, …) as OpenAPI components.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Company event feed',
          version: '1.0.0',
          description:
            'The feed of company events: newest first with keyset pagination, a live stream (SSE), and publishing for services that cannot speak AMQP. Every error has the shape `{ "error": { "code", "message", "param" } }` with a stable code. The AMQP contract for publishers is at /asyncapi.json.',
        },
        tags: [
          { name: 'feed', description: 'Reading the feed' },
          { name: 'publish', description: 'Publishing events over HTTP' },
          { name: 'reactions', description: 'Readers react (a reader identity)' },
          { name: 'admin', description: 'Hide and erase (admin token)' },
        ],
        components: {
          securitySchemes: {
            readToken: {
              type: 'http',
              scheme: 'bearer',
              description: 'Required for reading only when the service has read tokens.',
            },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
            adminToken: { type: 'http', scheme: 'bearer' },
          },
        },
      },
    });
    // The data schema of every catalogue type (the one GET /catalogue serves) as a component
    // of the OpenAPI document, in its 3.0 form like the rest, so its validation covers them.
    for (const schema of Object.values(catalogue))
      app.addSchema({ ...inlineSchema(schema), $id: schema.$id });
    // Swagger UI is a document: its routes carry helmet's headers, under its own CSP (which
    // allows the hashes of its inline script and style).
    await app.register(async (docs) => {
      docs.addHook('onRequest', documentHeaders);
      await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    const asyncApi = JSON.stringify(buildAsyncApiDocument());
    app.get('/asyncapi.json', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(asyncApi),
    );
  },
  { name: 'feed-docs' },
);
