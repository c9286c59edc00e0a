// The outbox relay's rate: COUNT events are written to the outbox first (in transactions of
// 500, as a busy service would), then the relay is started and timed until the queue holds them
// all.
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { createPool, withTransaction } from '@feed/store';
import { topology } from '@feed/contracts';
import { createFeedPublisher, enqueue, migrateOutbox, startOutboxRelay } from '@feed/publisher';
import { report } from '../lib/child.mjs';
import { sampleEvent } from '../lib/sampleEvent.mjs';
import { sleep } from '../lib/stats.mjs';

const count = Number(process.env.COUNT);
const source = 'bench-outbox';
const pool = createPool({ connectionString: process.env.DATABASE_URL, max: 4 });
await migrateOutbox(pool);
for (let start = 0; start < count; start += 500) {
  const events = [];
  for (let n = start; n < Math.min(count, start + 500); n++) {
    const { type, id, time, subject, data } = sampleEvent(source, n);
    events.push({ type, id, time, subject, data });
  }
  await withTransaction(pool, (client) => enqueue(client, events, { source }));
}

const watcher = await amqp.connect(process.env.AMQP_URL);
const channel = await watcher.createChannel();
const depth = async () => (await channel.checkQueue(topology.queue)).messageCount;
const before = await depth();

const publisher = createFeedPublisher({ url: process.env.AMQP_URL, source });
const started = performance.now();
const relay = startOutboxRelay({ pool, publisher });
while ((await depth()) < before + count) await sleep(20);
const seconds = (performance.now() - started) / 1000;

await relay.stop();
await publisher.close();
await watcher.close();
await pool.end();
report({ result: true, count, seconds, rate: count / seconds });
