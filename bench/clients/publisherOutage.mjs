// Publisher memory with the broker down. The publisher reaches the broker through a TCP proxy
// of this process; after a warm-up the proxy goes down and the publisher is offered RATE
// publishes a second for SECONDS. Memory (heap + buffers, after a GC) is sampled from the
// moment the buffer is full (MODE=sdk: the first FEED_PUBLISH_BUFFER_FULL rejection) or, for a
// client without a bound (MODE=acm, amqp-connection-manager), from the moment as many
// messages were offered as our buffer holds.
import { performance } from 'node:perf_hooks';
import amqpcm from 'amqp-connection-manager';
import { declareTopology, topology } from '@feed/contracts';
import { report } from '../lib/child.mjs';
import { sampleBody, sampleEvent } from '../lib/sampleEvent.mjs';
import { sleep } from '../lib/stats.mjs';
import { createTcpProxy } from '../lib/tcpProxy.mjs';

const mode = process.env.MODE;
const rate = Number(process.env.RATE ?? 5000);
const seconds = Number(process.env.SECONDS);
const maxBuffered = Number(process.env.MAX_BUFFERED ?? 10_000);
const brokerUrl = new URL(process.env.AMQP_URL);
const proxy = await createTcpProxy(Number(brokerUrl.port || 5672), brokerUrl.hostname);
const url = new URL(brokerUrl);
url.port = String(proxy.port);
const source = `bench-outage-${mode}`;

async function sdkClient() {
  const { createFeedPublisher } = await import('@feed/publisher');
  const publisher = createFeedPublisher({ url: url.toString(), source, maxBuffered });
  return {
    publish: (n) => {
      const { type, id, time, subject, data } = sampleEvent(source, n);
      return publisher.publish({ type, id, time, subject, data });
    },
    isBufferFull: (error) => error?.code === 'FEED_PUBLISH_BUFFER_FULL',
    close: () => publisher.close({ timeoutMs: 100 }).catch(() => {}),
  };
}

async function acmClient() {
  const connection = amqpcm.connect([url.toString()], { reconnectTimeInSeconds: 1 });
  const channel = connection.createChannel({ setup: (c) => declareTopology(c) });
  await channel.waitForConnect();
  return {
    publish: (n) =>
      channel.publish(topology.exchange, 'employee.registered', sampleBody(source, n), {
        persistent: true,
        contentType: 'application/json',
      }),
    isBufferFull: () => false,
    close: async () => {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

function memory() {
  globalThis.gc();
  const usage = process.memoryUsage();
  return { rss: usage.rss, js: usage.heapUsed + usage.external };
}

const client = mode === 'sdk' ? await sdkClient() : await acmClient();
for (let n = 0; n < 1000; n++) await client.publish(n);
proxy.down();

let offered = 1000;
let rejected = 0;
let fullAt = null;
const samples = [];
client.publish(offered++).catch(() => {}); // noticing the loss
await sleep(200);
const started = performance.now();
const end = started + seconds * 1000;
let nextSample = 0;
while (performance.now() < end) {
  const due = Math.floor(((performance.now() - started) / 1000) * rate);
  while (offered - 1001 < due) {
    client.publish(offered++).catch((error) => {
      rejected++;
      if (fullAt === null && client.isBufferFull(error)) fullAt = performance.now();
    });
  }
  if (mode === 'acm' && fullAt === null && offered - 1001 >= maxBuffered)
    fullAt = performance.now();
  if (fullAt !== null && performance.now() >= nextSample) {
    samples.push({ at: performance.now() - fullAt, ...memory() });
    nextSample = performance.now() + 500;
  }
  await sleep(10);
}
await sleep(20);
if (fullAt !== null) samples.push({ at: performance.now() - fullAt, ...memory() });
const first = samples[0];
const last = samples.at(-1);
report({
  result: true,
  offered: offered - 1000,
  rejected,
  bufferFull: fullAt !== null,
  sampledSeconds: last ? last.at / 1000 : 0,
  jsAtFull: first?.js ?? null,
  jsGrowth: first ? last.js - first.js : null,
  rssGrowth: first ? last.rss - first.rss : null,
});
await client.close();
process.exit(0);
