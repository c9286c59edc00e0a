import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test-support/index.js';
import { faultsDuringLoad, holdFor } from './harness/faultLoop.js';
import { eventKey, PublishLedger } from './harness/ledger.js';
import { createLoadMix } from './harness/loadMix.js';
import { registrarSource } from './harness/feedStack.js';
import { committedEventIds, registerEmployees } from './harness/registrarLoad.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { connectStream } from './harness/streamClient.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('connectionFaults');
afterAll(() => summary.print());

describe('broker connections fail during load', () => {
  it('cut every AMQP connection (workers, publishers) again and again: nothing lost, nothing twice, streams complete', async () => {
    await withFeedStack('e2e-amqp-cuts', { outboxDatabase: true }, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const registrar = await stack.startRegistrar();
      const streams = [
        connectStream(`${service.url}/events/stream`),
        connectStream(`${service.url}/events/stream`),
      ];
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        const cuts = faultsDuringLoad(ledger, [300, 700, 1100, 1500, 1900, 2300], () =>
          stack.amqpProxy.cut(),
        );
        // The registrar's outbox relay publishes through the same proxy: its connection is cut too.
        const [acknowledged] = await Promise.all([
          registerEmployees(registrar.url, 300),
          load.run('cut', 1500),
        ]);
        const cutPerRound = await cuts.done();
        expect(
          cutPerRound.map((n) => n > 0),
          `connections cut by each of the six cuts: ${cutPerRound.join(', ')}`,
        ).toEqual([true, true, true, true, true, true]);
        const committed = await committedEventIds(stack.outbox!.url);
        expect(acknowledged.filter((id) => !committed.includes(id))).toEqual([]);
        for (const id of committed) ledger.confirm(registrarSource, id);

        const { verdict, events } = await settle(stack, service.url, ledger);
        const stored = events.map((e) => eventKey(e.source, e.id));
        for (const stream of streams) {
          await waitFor(
            'a stream client to receive every stored event',
            () => stream.received().length >= stored.length,
            { timeout: 30_000, interval: 100 },
          );
          expect([...stream.received()].sort()).toEqual([...stored].sort());
        }
        summary.add(
          expectNothingLostNothingTwice(
            'amqp cut x6 (workers, SDK, plain, relay)',
            verdict,
            await stack.duplicatesAbsorbed(),
          ),
        );
      } finally {
        await load.close();
        await Promise.all(streams.map((s) => s.close()));
      }
    });
  }, 90_000);

  it('the broker unreachable through the proxy for seconds during load: publishers buffer, workers reconnect', async () => {
    await withFeedStack('e2e-amqp-down', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        const outage = faultsDuringLoad(ledger, [800], async () => {
          stack.amqpProxy.down();
          await holdFor(4000);
          stack.amqpProxy.up();
        });
        await load.run('down', 1500);
        expect(await outage.done()).toHaveLength(1);
        const { verdict } = await settle(stack, service.url, ledger);
        summary.add(
          expectNothingLostNothingTwice(
            'amqp unreachable 4 s',
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
