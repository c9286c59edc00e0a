import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { declareTopology, topology } from '@feed/contracts';
import { sampleBody } from './sampleEvent.mjs';
import { sleep } from './stats.mjs';

/**
 * A connection whose closing by the broker fails the operation under way (its promise
 * rejects) instead of the bench's process: amqplib emits the close's error on the connection
 * too, and an 'error' nobody listens to ends the process, with every figure measured so far.
 */
async function connect(url) {
  const connection = await amqp.connect(url);
  connection.on('error', () => {});
  return connection;
}

/**
 * Empties the bench vhost's topology and declares it again with the queue type asked for, so
 * every drain starts from the same state (quorum and classic cannot share a queue name).
 * Tried up to three times: RabbitMQ 3.10 can close a connection with 541 INTERNAL_ERROR while a
 * quorum queue of a million messages is deleted (its segment writer restarts), and the next
 * try finds the broker answering again.
 */
export async function resetTopology(url, queueType) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await resetOnce(url, queueType);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`bench: resetting the topology failed (${error.message}); trying again`);
      await sleep(1000 * attempt);
    }
  }
}

async function resetOnce(url, queueType) {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(topology.queue);
    await channel.deleteQueue(topology.deadLetterQueue);
    await channel.deleteQueue(topology.droppedQueue);
    await declareTopology(channel, { queueType });
    await channel.close();
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Messages waiting in `feed.events` and consumers attached to it. */
export async function queueState(url) {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const { messageCount, consumerCount } = await channel.checkQueue(topology.queue);
    await channel.close();
    return { messageCount, consumerCount };
  } finally {
    await connection.close();
  }
}

/**
 * Consumers attached to `feed.events`, asked on one connection kept open for the purpose: cheap
 * enough to poll while consumers start.
 */
export async function watchConsumers(url) {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  return {
    async count() {
      return (await channel.checkQueue(topology.queue)).consumerCount;
    },
    async close() {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

/**
 * Pre-fills `feed.events` with `count` confirmed 512-byte events through the `feed` exchange,
 * as publishers do, over `connections` connections at once. Windowed confirms: the broker is
 * never more than `window` messages behind on a connection.
 */
export async function fillQueue(
  url,
  count,
  { source = 'bench-fill', window = 2000, connections = 2 } = {},
) {
  const started = performance.now();
  const share = Math.ceil(count / connections);
  await Promise.all(
    Array.from({ length: connections }, (_, i) =>
      fillFrom(url, i * share, Math.min(count, (i + 1) * share), source, window),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, rate: count / seconds };
}

async function fillFrom(url, from, to, source, window) {
  const connection = await connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    const time = new Date();
    for (let n = from; n < to; n++) {
      channel.publish(topology.exchange, 'employee.registered', sampleBody(source, n, time), {
        persistent: true,
        contentType: 'application/json',
      });
      if ((n - from + 1) % window === 0) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await connection.close();
  }
}
