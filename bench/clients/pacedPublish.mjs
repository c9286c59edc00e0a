// Publishes 512-byte events for SECONDS at RATE events/s (RATE=0: as fast as confirms allow,
// IN_FLIGHT pending), each stamped with the moment it was handed to the client, so the
// listener can read publish-to-stored latency from the stored row. MODE: sdk (our publisher)
// or raw (amqplib confirm channel).
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { topology } from '@feed/contracts';
import { report } from '../lib/child.mjs';
import { sampleEvent } from '../lib/sampleEvent.mjs';
import { sleep } from '../lib/stats.mjs';

const url = process.env.AMQP_URL;
const mode = process.env.MODE;
const rate = Number(process.env.RATE);
const seconds = Number(process.env.SECONDS);
const inFlight = Number(process.env.IN_FLIGHT ?? 1000);
const source = `bench-e2e-${mode}`;

async function rawClient() {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  const options = { persistent: true, contentType: 'application/json' };
  return {
    publish: (n) =>
      new Promise((resolve, reject) => {
        const body = Buffer.from(JSON.stringify(sampleEvent(source, n)));
        channel.publish(topology.exchange, 'employee.registered', body, options, (error) =>
          error ? reject(error) : resolve(),
        );
      }),
    close: () => connection.close(),
  };
}

async function sdkClient() {
  const { createFeedPublisher } = await import('@feed/publisher');
  const publisher = createFeedPublisher({ url, source, maxBuffered: 100_000 });
  // The raw client's clock starts once it is connected; so does this one's, so both measure
  // steady publishing and neither counts its connection handshake as latency.
  await new Promise((resolve) => {
    if (publisher.state === 'connected') return resolve();
    const onState = (state) => {
      if (state !== 'connected') return;
      publisher.off('state', onState);
      resolve();
    };
    publisher.on('state', onState);
  });
  return {
    publish: (n) => {
      const { type, id, time, subject, data } = sampleEvent(source, n);
      return publisher.publish({ type, id, time, subject, data });
    },
    close: () => publisher.close(),
  };
}

const client = mode === 'sdk' ? await sdkClient() : await rawClient();
let sent = 0;
let confirmed = 0;
let failed = 0;
let pending = 0;
const publishOne = () => {
  pending++;
  client.publish(sent++).then(
    () => (confirmed++, pending--),
    () => (failed++, pending--),
  );
};
const cpuBefore = process.cpuUsage();
const started = performance.now();
const end = started + seconds * 1000;
while (performance.now() < end) {
  if (rate > 0) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due) publishOne();
    await sleep(2);
  } else {
    while (pending < inFlight) publishOne();
    await sleep(1);
  }
}
const elapsed = (performance.now() - started) / 1000;
while (pending > 0) await sleep(5);
const cpu = process.cpuUsage(cpuBefore);
await client.close();
report({
  result: true,
  sent,
  confirmed,
  failed,
  rate: sent / elapsed,
  cpuMs: (cpu.user + cpu.system) / 1000,
});
