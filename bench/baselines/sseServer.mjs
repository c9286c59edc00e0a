// A hand-written live stream: node:http, one pg connection LISTENing to the store's NOTIFY,
// on each notification the new rows are read once and the same frame is written to every
// client. No resume, no filter, no slow-client handling.
import http from 'node:http';
import pg from 'pg';
import { report } from '../lib/child.mjs';

const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
const { rows: top } = await db.query('select coalesce(max(seq), 0)::text as seq from feed_events');
let last = top[0].seq;
const clients = new Set();
let reading = Promise.resolve();

db.on('notification', () => {
  reading = reading.then(async () => {
    const { rows } = await db.query(
      `select seq, event_id, source, type, time, subject, actor, data, reactions, stored_at
         from feed_events where seq > $1 order by seq limit 1000`,
      [last],
    );
    if (rows.length === 0) return;
    last = rows.at(-1).seq;
    const frames = rows
      .map((row) => {
        const event = {
          seq: row.seq,
          id: row.event_id,
          source: row.source,
          type: row.type,
          time: row.time.toISOString(),
          subject: row.subject,
          actor: row.actor,
          data: row.data,
          reactions: row.reactions,
          storedAt: row.stored_at.toISOString(),
        };
        return `id: ${row.seq}\ndata: ${JSON.stringify(event)}\n\n`;
      })
      .join('');
    for (const client of clients) client.write(frames);
  });
});
await db.query('listen feed_events');

const server = http.createServer((request, response) => {
  if (!request.url.startsWith('/events/stream')) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.write(': hello\n\n');
  clients.add(response);
  request.on('close', () => clients.delete(response));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => report({ ready: true }));

process.once('SIGTERM', async () => {
  for (const client of clients) client.end();
  server.close();
  await db.end();
  process.exit(0);
});
