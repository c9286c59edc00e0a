import { afterAll, describe, expect, it } from 'vitest';
import { rabbitmqctl } from '../test-support/index.js';
import { faultsDuringLoad, holdFor } from './harness/faultLoop.js';
import { PublishLedger } from './harness/ledger.js';
import { createLoadMix } from './harness/loadMix.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('brokerRestart');
afterAll(() => summary.print());

// Stops the real broker: runs in the serial project, alone, and always starts it again.
describe('RabbitMQ itself stopped and started during load', () => {
  it('rabbitmqctl stop_app / start_app mid-load: nothing lost, nothing twice', async () => {
    await withFeedStack('e2e-broker-restart', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        const outage = faultsDuringLoad(ledger, [800], async () => {
          try {
            await rabbitmqctl('stop_app');
            await holdFor(3000);
          } finally {
            await rabbitmqctl('start_app');
            await rabbitmqctl('await_startup');
          }
        });
        await load.run('restart', 1500);
        expect(await outage.done()).toHaveLength(1);
        const { verdict } = await settle(stack, service.url, ledger, { timeout: 60_000 });
        summary.add(
          expectNothingLostNothingTwice(
            'rabbitmq stop_app/start_app',
            verdict,
            await stack.duplicatesAbsorbed(),
          ),
        );
      } finally {
        await load.close();
      }
    });
  }, 120_000);
});
