// Publishes COUNT confirmed 512-byte events as fast as the client allows and reports the rate.
// MODE: sdk (our @feed/publisher, IN_FLIGHT publishes pending), raw (amqplib confirm channel,
// waitForConfirms every IN_FLIGHT messages), acm (amqp-connection-manager, IN_FLIGHT pending).
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import amqpcm from 'amqp-connection-manager';
import { declareTopology, topology } from '@feed/contracts';
import { report } from '../lib/child.mjs';
import { keepInFlight } from '../lib/inFlight.mjs';
import { sampleBody, sampleEvent } from '../lib/sampleEvent.mjs';

const url = process.env.AMQP_URL;
const mode = process.env.MODE;
const count = Number(process.env.COUNT);
const inFlight = Number(process.env.IN_FLIGHT ?? 1000);
const source = `bench-${mode}`;
const options = { persistent: true, contentType: 'application/json' };
const key = 'employee.registered';

const publishers = {
  async raw() {
    const connection = await amqp.connect(url);
    const channel = await connection.createConfirmChannel();
    return {
      async run() {
        for (let n = 0; n < count; n++) {
          channel.publish(topology.exchange, key, sampleBody(source, n), options);
          if ((n + 1) % inFlight === 0) await channel.waitForConfirms();
        }
        await channel.waitForConfirms();
      },
      close: () => connection.close(),
    };
  },
  async acm() {
    const connection = amqpcm.connect([url]);
    const channel = connection.createChannel({ setup: (c) => declareTopology(c) });
    await channel.waitForConnect();
    return {
      run: () =>
        keepInFlight(count, inFlight, (n) =>
          channel.publish(topology.exchange, key, sampleBody(source, n), options),
        ),
      close: async () => {
        await channel.close();
        await connection.close();
      },
    };
  },
  async sdk() {
    const { createFeedPublisher } = await import('@feed/publisher');
    const publisher = createFeedPublisher({ url, source, maxBuffered: Math.max(10_000, inFlight) });
    // The first publish waits for the connection; it is not counted.
    await publisher.publish(input(-1));
    return {
      run: () => keepInFlight(count, inFlight, (n) => publisher.publish(input(n))),
      close: () => publisher.close(),
    };
  },
};

function input(n) {
  const { type, id, time, subject, data } = sampleEvent(source, n);
  return { type, id, time, subject, data };
}

const publisher = await publishers[mode]();
const started = performance.now();
await publisher.run();
const seconds = (performance.now() - started) / 1000;
await publisher.close();
report({ result: true, count, seconds, rate: count / seconds });
