import { afterAll, describe, expect, it } from 'vitest';
import { registrarSource } from './harness/feedStack.js';
import { PublishLedger } from './harness/ledger.js';
import { createLoadMix } from './harness/loadMix.js';
import { committedEventIds } from './harness/registrarLoad.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('outboxKill');
afterAll(() => summary.print());

describe('a publisher process killed right after its own commit', () => {
  it('registrar SIGKILLed right after a committed registration: its relay delivers every committed event after the restart', async () => {
    await withFeedStack('e2e-outbox-kill', { outboxDatabase: true }, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      let registrar = await stack.startRegistrar();
      const port = new URL(registrar.url).port;
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      const acknowledged: string[] = [];
      let killed = false;
      let restarted: Promise<void> | undefined;

      const register = async (n: number): Promise<void> => {
        for (;;) {
          try {
            const response = await fetch(`${registrar.url}/employees`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ name: `Person ${n}`, team: 'Platform', position: 'Engineer' }),
            });
            if (response.status !== 201) throw new Error(`POST /employees: ${response.status}`);
            const { eventId } = (await response.json()) as { eventId: string };
            acknowledged.push(eventId);
            if (!killed && acknowledged.length === 150) {
              // Its commit is answered: kill it before its relay can have sent everything.
              killed = true;
              registrar.process.kill('SIGKILL');
              restarted = (async () => {
                await registrar.process.exited;
                registrar = await stack.startRegistrar({ REGISTRAR_PORT: port });
              })();
            }
            return;
          } catch {
            // Killed mid-request: whether that one committed is read from its database below.
            await (restarted ?? Promise.resolve());
          }
        }
      };

      try {
        const registrations = (async () => {
          for (let n = 0; n < 400; n += 8)
            await Promise.all(Array.from({ length: 8 }, (_, i) => register(n + i)));
        })();
        await Promise.all([registrations, load.run('outbox', 800)]);
        await restarted;
        expect(killed).toBe(true);

        const committed = await committedEventIds(stack.outbox!.url);
        // Every acknowledged registration committed; the committed set is what must arrive.
        expect(acknowledged.filter((id) => !committed.includes(id))).toEqual([]);
        for (const id of committed) ledger.confirm(registrarSource, id);

        const { verdict } = await settle(stack, service.url, ledger);
        summary.add(
          expectNothingLostNothingTwice(
            'outbox publisher SIGKILL after commit',
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
