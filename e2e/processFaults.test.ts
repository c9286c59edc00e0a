import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test-support/index.js';
import { faultsDuringLoad } from './harness/faultLoop.js';
import { PublishLedger } from './harness/ledger.js';
import { createLoadMix } from './harness/loadMix.js';
import { counterValue } from './harness/metrics.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('processFaults');
afterAll(() => summary.print());

async function metric(httpUrl: string, name: string): Promise<number> {
  const response = await fetch(`${httpUrl}/metrics`);
  return counterValue(await response.text(), name);
}

describe('processes killed and stopped during load', () => {
  it('a worker SIGKILLed mid-batch while the other keeps running, then restarted', async () => {
    await withFeedStack('e2e-worker-kill', {}, async (stack) => {
      const victim = await stack.startWorker();
      const survivor = await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        let unackedAtKill = 0;
        const faults = faultsDuringLoad(ledger, [900, 2000], async (round) => {
          if (round === 1) {
            // Kill only once it holds deliveries it has not acked: a batch in hand.
            await waitFor(
              'the victim to hold unacked deliveries',
              async () => {
                const received = await metric(
                  victim.httpUrl,
                  'feed_worker_messages_received_total',
                );
                const acked = await metric(victim.httpUrl, 'feed_worker_messages_acked_total');
                unackedAtKill = received - acked;
                return unackedAtKill > 0;
              },
              { timeout: 20_000, interval: 5 },
            );
            await stack.signalWorker(victim, 'SIGKILL');
          } else {
            await stack.startWorker();
          }
        });
        await load.run('kill', 1500);
        expect(await faults.done()).toHaveLength(2);
        expect(unackedAtKill).toBeGreaterThan(0);
        expect(victim.process.exit()?.signal).toBe('SIGKILL');
        expect(survivor.process.exit()).toBeNull();
        const { verdict } = await settle(stack, service.url, ledger);
        summary.add(
          expectNothingLostNothingTwice(
            'worker SIGKILL mid-batch',
            verdict,
            await stack.duplicatesAbsorbed(),
          ),
        );
      } finally {
        await load.close();
      }
    });
  }, 90_000);
});
