// The limit of serving the head of the feed: a bare Fastify route (no logger, no hook) sending
// the same bytes as ours from buffers prepared at start, one per coding (BODY_DIR/identity,
// gzip, br: the bodies our service sent in this run), chosen by a plain look at
// Accept-Encoding. What ours adds on top is what the ratio measures.
// PLUGINS=security: the same route behind the stock plugins for what every answer of ours
// passes, with their defaults (helmet's headers from a middleware built once, @fastify/cors,
// @fastify/rate-limit), for scale: ours sets the same headers and counts the same limits
// without them.
// PLUGINS=headers: the same route sending, with each body, the very headers our service sent
// with it in this run (BODY_DIR/<coding>.headers.json, prepared at start: security, rate
// limit, caching, Link), to tell apart what writing and reading those header lines costs.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import helmet from 'helmet';
import { report } from '../lib/child.mjs';

const dir = process.env.BODY_DIR;
const bodies = {
  identity: readFileSync(`${dir}/identity`),
  gzip: readFileSync(`${dir}/gzip`),
  br: readFileSync(`${dir}/br`),
};
const sentHeaders =
  process.env.PLUGINS === 'headers'
    ? Object.fromEntries(
        Object.keys(bodies).map((coding) => [
          coding,
          JSON.parse(readFileSync(`${dir}/${coding}.headers.json`, 'utf8')),
        ]),
      )
    : undefined;
const app = Fastify({ logger: false });
if (process.env.PLUGINS === 'security') {
  const securityHeaders = helmet();
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, done));
  await app.register(cors, { origin: false });
  await app.register(rateLimit, { max: 10_000_000, timeWindow: 60_000 });
}
app.get('/events', (request, reply) => {
  const accept = request.headers['accept-encoding'] ?? '';
  const encoding = accept.includes('br') ? 'br' : accept.includes('gzip') ? 'gzip' : 'identity';
  if (sentHeaders !== undefined) reply.headers(sentHeaders[encoding]);
  reply.header('content-type', 'application/json; charset=utf-8');
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  reply.send(bodies[encoding]);
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
report({ ready: true });
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
