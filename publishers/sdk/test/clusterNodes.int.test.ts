import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFeedPublisher } from '@feed/publisher';
import {
  createSilentServer,
  createTestVhost,
  waitFor,
  type SilentServer,
  type TestVhost,
} from '../../../test-support/index.js';
import { readQueue } from './support/queueReader.js';

let vhost: TestVhost;
let silent: SilentServer;

beforeAll(async () => {
  [vhost, silent] = await Promise.all([createTestVhost('sdk-cluster-nodes'), createSilentServer()]);
});
afterAll(async () => {
  await silent?.close();
  await vhost?.drop();
});

const event = (n: number) => ({
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

it('a first node that never answers: publishes are confirmed through the next node, long before the handshake deadline', async () => {
  const reader = await readQueue(vhost.url);
  const silentUrl = `amqp://guest:guest@127.0.0.1:${silent.port}/${encodeURIComponent(vhost.name)}`;
  // A 60 s handshake deadline and a 30 s publish deadline: only trying the next node beside
  // the silent one gets these confirmed.
  const publisher = createFeedPublisher({
    url: `${silentUrl},${vhost.url}`,
    source: 'sdk-silent-first',
    connectTimeoutMs: 60_000,
    publishTimeoutMs: 30_000,
  });
  try {
    const stored = await publisher.publish(Array.from({ length: 50 }, (_, n) => event(n)));
    expect(stored).toHaveLength(50);
    expect(silent.accepted(), 'the silent node was tried first').toBe(1);
    expect(publisher.stats()).toMatchObject({ confirmed: 50, rejected: 0, state: 'connected' });
    await waitFor('50 in the queue', () => reader.messages.length === 50);
  } finally {
    await publisher.close({ timeoutMs: 2000 });
    await reader.close();
  }
});
