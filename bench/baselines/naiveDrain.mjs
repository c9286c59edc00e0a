// The classic tutorial worker: prefetch 1, one INSERT (its own transaction) per message, ack
// each message after its insert.
import amqp from 'amqplib';
import pg from 'pg';
import { report } from '../lib/child.mjs';

const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
const connection = await amqp.connect(process.env.AMQP_URL);
const channel = await connection.createChannel();
await channel.prefetch(1);

await channel.consume('feed.events', async (message) => {
  if (message === null) return;
  const event = JSON.parse(message.content.toString('utf8'));
  await db.query(
    `insert into feed_events (source, event_id, type, time, subject, data)
     values ($1, $2, $3, $4, $5, $6) on conflict (source, event_id) do nothing`,
    [event.source, event.id, event.type, event.time, event.subject ?? null, event.data],
  );
  channel.ack(message);
});
report({ ready: true });

process.once('SIGTERM', async () => {
  await channel.close().catch(() => {});
  await connection.close().catch(() => {});
  await db.end();
  process.exit(0);
});
