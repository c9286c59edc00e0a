import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test-support/index.js';
import { faultsDuringLoad } from './harness/faultLoop.js';
import { eventKey, PublishLedger } from './harness/ledger.js';
import { createLoadMix } from './harness/loadMix.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { connectStream } from './harness/streamClient.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('restartAll');
afterAll(() => summary.print());

describe('every process stopped in the middle of the load', () => {
  // Every process must exit 0 within its deadline, the service too with stream clients
  // connected, resuming or gone.
  it('SIGTERM of every process in the middle of the load, then start again: streams resume', async () => {
    await withFeedStack('e2e-restart-all', {}, async (stack) => {
      const workers = [await stack.startWorker(), await stack.startWorker()];
      let service = await stack.startService();
      const port = new URL(service.url).port;
      const stream = connectStream(`${service.url}/events/stream`);
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        const faults = faultsDuringLoad(ledger, [1000, 1800], async (round) => {
          if (round === 1) {
            // Every process must exit 0 within its deadline (stop() fails otherwise).
            await Promise.all([...workers.map((w) => w.process.stop()), service.process.stop()]);
          } else {
            await stack.startWorker();
            await stack.startWorker();
            service = await stack.startService({ PORT: port });
          }
        });
        await load.run('restart', 1500);
        expect(await faults.done()).toHaveLength(2);
        const { verdict, events } = await settle(stack, service.url, ledger);
        await waitFor(
          'the stream client to receive every stored event after the restart',
          () => stream.received().length >= events.length,
          { timeout: 30_000, interval: 100 },
        );
        expect(stream.reconnects()).toBeGreaterThanOrEqual(1);
        expect([...stream.received()].sort()).toEqual(
          events.map((e) => eventKey(e.source, e.id)).sort(),
        );
        summary.add(
          expectNothingLostNothingTwice(
            'SIGTERM all, restart',
            verdict,
            await stack.duplicatesAbsorbed(),
          ),
        );
      } finally {
        await load.close();
        await stream.close();
      }
    });
  }, 90_000);
});
