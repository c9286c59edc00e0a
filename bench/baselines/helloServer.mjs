// The ceiling of any Fastify route on this machine: hello world, no logger.
import Fastify from 'fastify';
import { report } from '../lib/child.mjs';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
report({ ready: true });
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
