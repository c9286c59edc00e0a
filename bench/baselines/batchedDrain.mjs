// The raw ceiling: a minimal hand-written amqplib + pg pipeline. Messages are collected into a
// batch (size or wait, whichever comes first), stored with one `unnest` insert, and
// acknowledged together (`allUpTo`) after that insert committed. One connection to each server,
// one insert in flight. No validation beyond JSON.parse, no parking, no reconnect.
import amqp from 'amqplib';
import pg from 'pg';
import { report } from '../lib/child.mjs';

const batchSize = Number(process.env.BATCH_SIZE ?? 500);
const batchWaitMs = Number(process.env.BATCH_WAIT_MS ?? 20);
const prefetch = Number(process.env.PREFETCH ?? 2000);
// For the end-to-end figure: tell listeners at commit, as the feed store does.
const notify = process.env.NOTIFY === '1';

const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
const connection = await amqp.connect(process.env.AMQP_URL);
const channel = await connection.createChannel();
await channel.prefetch(prefetch);

const insert = `
  with input as (
    select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::jsonb[])
      as t(source, event_id, type, time, subject, data)
  ), stored as (
    insert into feed_events (source, event_id, type, time, subject, data)
    select * from input
    on conflict (source, event_id) do nothing
    returning seq
  )
  select ${notify ? `pg_notify('feed_events', max(seq)::text)` : 'count(*)'} from stored`;

let pending = [];
let timer = null;
let flushing = Promise.resolve();

function flush() {
  if (timer) clearTimeout(timer);
  timer = null;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  flushing = flushing.then(async () => {
    const events = batch.map((message) => JSON.parse(message.content.toString('utf8')));
    await db.query(insert, [
      events.map((e) => e.source),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.time),
      events.map((e) => e.subject ?? null),
      events.map((e) => JSON.stringify(e.data)),
    ]);
    channel.ack(batch.at(-1), true);
  });
  flushing.catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

await channel.consume('feed.events', (message) => {
  if (message === null) return;
  pending.push(message);
  if (pending.length >= batchSize) flush();
  else timer ??= setTimeout(flush, batchWaitMs);
});
report({ ready: true });

process.once('SIGTERM', async () => {
  flush();
  await flushing.catch(() => {});
  await channel.close().catch(() => {});
  await connection.close().catch(() => {});
  await db.end();
  process.exit(0);
});
