// node feed-worker/scripts/drain.mjs [count] — after `npx tsc -b`.
// Pre-fills feed.events of a fresh vhost with `count` 512-byte events, starts the worker
// in-process and times the drain until every event is stored. Variables as for the worker
// (WORKER_BATCH_SIZE, WORKER_PREFETCH, WORKER_BATCH_WAIT_MS, FEED_QUEUE_TYPE, ...); the vhost
// and the database it creates are removed at the end.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import pg from 'pg';
import { declareTopology, topology } from '@feed/contracts';
import { createPool, migrate } from '@feed/store';
import { loadConfig, startWorker } from '../dist/index.js';

const count = Number(process.argv[2] ?? 100_000);
const suffix = randomBytes(3).toString('hex');
const vhost = `feed-drain-${suffix}`;
const database = `feed_drain_${suffix}`;
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();
const amqpUrl = `${(process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').replace(/\/+$/, '')}/${vhost}`;
const rabbitmqctl = (...args) => execFileSync('rabbitmqctl', args, { stdio: 'ignore' });

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${database}`);
rabbitmqctl('add_vhost', vhost);
rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
let worker;
try {
  const pool = createPool({ connectionString: databaseUrl, max: 1 });
  await migrate(pool);
  await pool.end();

  const config = loadConfig({
    ...process.env,
    AMQP_URL: amqpUrl,
    DATABASE_URL: databaseUrl,
    WORKER_HTTP_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  await declareTopology(channel, { queueType: config.queueType });
  const padding = 'x'.repeat(190);
  for (let offset = 0; offset < count; offset += 1000) {
    for (let i = offset; i < Math.min(count, offset + 1000); i += 1) {
      const event = {
        specversion: '1.0',
        id: `drain-${i}`,
        source: 'drain',
        type: 'employee.registered',
        time: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
        data: {
          employeeId: `emp-${i}`,
          name: 'Ada Lovelace',
          team: 'Engines',
          position: 'Engineer'.padEnd(99, '.'),
          department: padding,
        },
      };
      channel.publish(topology.exchange, event.type, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        contentType: 'application/json',
      });
    }
    await channel.waitForConfirms();
  }
  const { messageCount } = await channel.checkQueue(topology.queue);
  await connection.close();
  const bytes = JSON.stringify({
    specversion: '1.0',
    id: 'drain-50000',
    source: 'drain',
    type: 'employee.registered',
    time: new Date().toISOString(),
    data: {
      employeeId: 'emp-50000',
      name: 'Ada Lovelace',
      team: 'Engines',
      position: 'Engineer'.padEnd(99, '.'),
      department: padding,
    },
  }).length;

  const started = performance.now();
  worker = await startWorker(config);
  for (;;) {
    const stored = (await worker.metrics.stored.get()).values[0]?.value ?? 0;
    if (stored >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const sum = async (metric) => {
    const values = (await metric.get()).values;
    return {
      sum: values.find((v) => v.metricName?.endsWith('_sum'))?.value,
      count: values.find((v) => v.metricName?.endsWith('_count'))?.value,
    };
  };
  const batches = await sum(worker.metrics.batchSize);
  const durations = await sum(worker.metrics.batchSeconds);
  console.log(
    JSON.stringify({
      events: count,
      queued: messageCount,
      eventBytes: bytes,
      queueType: config.queueType,
      batchSize: config.batchSize,
      batchWaitMs: config.batchWaitMs,
      prefetch: config.prefetch,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(count / seconds),
      batches: batches.count,
      meanBatch: Math.round(batches.sum / batches.count),
      meanBatchMs: Number(((1000 * durations.sum) / durations.count).toFixed(1)),
    }),
  );
} finally {
  await worker?.stop();
  rabbitmqctl('delete_vhost', vhost);
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
}
