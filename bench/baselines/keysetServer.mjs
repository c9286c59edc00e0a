// A straightforward Fastify + pg keyset route, as one would write it first: the same query
// shape and JSON fields as the feed's API (newest first by the feed's position (xid, seq),
// `before=<xid>.<seq>`, optional type filter, the reaction counters joined), rows mapped to
// objects and serialized by Fastify. No schema, no cache, no visibility horizon.
import Fastify from 'fastify';
import pg from 'pg';
import { report } from '../lib/child.mjs';
import { keysetQuery } from './keysetQuery.mjs';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => {});
const app = Fastify({ logger: false });

app.get('/events', async (request) => {
  const limit = Math.min(Number(request.query.limit ?? 50), 200);
  let before;
  if (request.query.before) {
    const [xid, seq] = String(request.query.before).split('.');
    before = { xid, seq };
  }
  const { rows } = await pool.query(keysetQuery({ before, type: request.query.type, limit }));
  const events = rows.map((row) => ({
    position: `${row.xid}.${row.seq}`,
    id: row.event_id,
    source: row.source,
    type: row.type,
    time: row.time.toISOString(),
    subject: row.subject,
    actor: row.actor,
    data: row.data,
    reactions: row.reactions,
    storedAt: row.stored_at.toISOString(),
  }));
  return { events, next: events.length === limit ? events.at(-1).position : null };
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
report({ ready: true });
process.once('SIGTERM', async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
