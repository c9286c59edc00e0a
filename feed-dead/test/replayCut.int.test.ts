import { afterAll, beforeAll, expect, it } from 'vitest';
import { FeedErrorCode, topology } from '@feed/contracts';
import { createTcpProxy, waitFor, type TcpProxy } from '../../test-support/index.js';
import { viaPort } from '../../feed-worker/test/support.js';
import { DeadLetters } from '../src/index.js';
import { createParkingBench, type ParkingBench } from './support.js';

let bench: ParkingBench;
let proxy: TcpProxy;
const count = 600;
const ids = Array.from({ length: count }, (_, index) => `cut-${index}`);

beforeAll(async () => {
  bench = await createParkingBench('dead-replay-cut');
  proxy = await createTcpProxy(Number(new URL(bench.vhost.url).port || 5672));
  await bench.startWorker();
  for (const id of ids)
    bench.publisher.channel.sendToQueue(topology.queue, Buffer.from(`{${id}`), {
      persistent: true,
      contentType: 'application/json',
      messageId: id,
      appId: 'cut-test',
    });
  await bench.publisher.channel.waitForConfirms();
  await waitFor('every message parked', async () => (await bench.parked()) === count, {
    timeout: 60_000,
  });
  // Replayed messages stay in feed.events, where the test counts them.
  await bench.stopWorker();
});
afterAll(async () => {
  await proxy?.close();
  await bench?.close();
});

/** Message ids found in one queue, read and removed. */
async function drain(queue: string): Promise<string[]> {
  const found: string[] = [];
  for (;;) {
    const message = await bench.publisher.channel.get(queue, { noAck: true });
    if (message === false) return found;
    found.push(String(message.properties.messageId));
  }
}

/** Operations through the proxy, with a progress callback that resets it after 100 messages. */
function cutAfter100() {
  const dead = new DeadLetters({ urls: [viaPort(bench.vhost.url, proxy.port)], batchSize: 50 });
  let cuts = 0;
  const onProgress = ({ done }: { done: number }) => {
    if (done >= 100 && cuts === 0) cuts = proxy.cut();
  };
  return { dead, onProgress, cuts: () => cuts };
}

it('a list cut by a connection reset loses nothing and leaves no second copy in sight', async () => {
  const cutting = cutAfter100();
  await expect(cutting.dead.list({ onProgress: cutting.onProgress })).rejects.toMatchObject({
    code: FeedErrorCode.BrokerUnavailable,
  });
  expect(cutting.cuts()).toBeGreaterThan(0);
  await waitFor('the cut connection gone', async () => (await bench.vhost.connections()) === 1);
  const listed = await new DeadLetters({ urls: [bench.vhost.url] }).list({ limit: count * 2 });
  expect(listed.total).toBe(count);
  expect(new Set(listed.messages.map((message) => message.properties.messageId))).toEqual(
    new Set(ids),
  );
  expect(await bench.parked()).toBe(count);
});

it('a replay cut by a connection reset loses nothing; run again, every message reaches feed.events', async () => {
  const cutting = cutAfter100();
  await expect(cutting.dead.replay({ all: true }, cutting.onProgress)).rejects.toMatchObject({
    code: FeedErrorCode.BrokerUnavailable,
  });
  expect(cutting.cuts()).toBeGreaterThan(0);
  await waitFor('the cut connection gone', async () => (await bench.vhost.connections()) === 1);
  // Every message is in one queue or the other (or both: replayed, its ack cut off).
  const replayed = await bench.waiting();
  const parked = await bench.parked();
  expect(replayed).toBeGreaterThanOrEqual(100);
  expect(replayed + parked).toBeGreaterThanOrEqual(count);

  const rest = await new DeadLetters({ urls: [bench.vhost.url] }).replay({ all: true });
  expect(rest.done).toBe(parked);
  expect(await bench.parked()).toBe(0);
  const found = await drain(topology.queue);
  expect(new Set(found)).toEqual(new Set(ids));
});
