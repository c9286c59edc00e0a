import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedErrorCode } from '@feed/contracts';
import { createFeedPublisher } from '@feed/publisher';
import {
  createTestVhost,
  waitFor,
  withMemoryAlarm,
  type TestVhost,
} from '../../../test-support/index.js';

const event = (n: number) => ({
  type: 'employee.registered',
  data: { employeeId: `e${n}`, name: `Person ${n}`, team: 'Core', position: 'Engineer' },
});

// A real memory alarm blocks every publishing connection of the broker, so this runs in the
// serial project, alone, and restores the watermark whatever happens. The same behaviour is
// tested without an alarm, for one connection, in blocked.int.test.ts.
describe('a real memory alarm (P7)', () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost('sdk-alarm');
  });
  afterAll(async () => {
    await vhost.drop();
  });

  it('publishes time out naming the block, the state shows it, close keeps its deadline', async () => {
    const publisher = createFeedPublisher({
      url: vhost.url,
      source: 'sdk-alarm',
      publishTimeoutMs: 5000,
    });
    await publisher.publish(event(0));
    try {
      await withMemoryAlarm(async () => {
        // The broker blocks a connection when it publishes under the alarm.
        const outcome = publisher.publish(event(1)).catch((error: Error) => error);
        await waitFor('the blocked state', () => publisher.state === 'blocked', {
          timeout: 20_000,
        });
        expect(publisher.stats().blockedReason).toMatch(/memory/i);
        expect(await outcome).toMatchObject({
          code: FeedErrorCode.PublishTimeout,
          message: expect.stringContaining('the broker has blocked the connection'),
        });
        const started = Date.now();
        await publisher.close({ timeoutMs: 1000 });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(publisher.state).toBe('closed');
      });
    } finally {
      await publisher.close({ timeoutMs: 1000 });
    }
    await waitFor('no connection left', async () => (await vhost.connections()) === 0, {
      timeout: 20_000,
    });
  });
});
