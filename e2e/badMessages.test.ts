import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test-support/index.js';
import {
  employeeRegistered,
  poisonMessages,
  propertiesMessage,
  reactionAdded,
  structuredMessage,
} from './harness/feedEvents.js';
import { eventKey, PublishLedger } from './harness/ledger.js';
import { runPlainLoad } from './harness/plainLoad.js';
import { createPlainPublisher } from './harness/plainPublisher.js';
import { withFeedStack } from './harness/scenario.js';
import {
  countRows,
  deadLetterCode,
  deadLetterReason,
  expectNothingLostNothingTwice,
  settle,
} from './harness/settle.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('badMessages');
afterAll(() => summary.print());

describe('bad input and repeats, all processes running', () => {
  it('parks every poison message with its reason while the good ones around it are stored', async () => {
    await withFeedStack('e2e-poison', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const publisher = createPlainPublisher(stack.amqpUrl);
      try {
        const source = 'e2e.poison';
        const good = Array.from({ length: 1400 }, (_, i) =>
          employeeRegistered(source, `good-${i}`),
        );
        const poison = [0, 1, 2].flatMap((round) => poisonMessages(source, `poison-${round}`));
        for (const p of poison) ledger.expectParked(p.message.properties.messageId!, p.code);
        // Poison interleaved with good messages, alternating the two wire forms.
        let next = 0;
        await runPlainLoad({
          publisher,
          ledger,
          events: good,
          toMessage: (event) =>
            Number(event.id.split('-')[1]) % 2 === 0
              ? structuredMessage(event)
              : propertiesMessage(event),
          batch: 100,
          onProgress: async () => {
            const slice = poison.slice(next, next + 2);
            next += slice.length;
            if (slice.length > 0) await publisher.send(slice.map((p) => p.message));
          },
        });
        if (next < poison.length) await publisher.send(poison.slice(next).map((p) => p.message));

        const { verdict, dead } = await settle(stack, service.url, ledger);
        for (const letter of dead)
          expect(deadLetterReason(letter), `reason of ${letter.messageId}`).toMatch(/\S/);
        expect(dead.map(deadLetterCode).sort()).toEqual(poison.map((p) => p.code).sort());
        summary.add(
          expectNothingLostNothingTwice('poison stream', verdict, await stack.duplicatesAbsorbed()),
        );
      } finally {
        await publisher.close();
      }
    });
  }, 90_000);

  it('stores an event published three times, by two sources with one id, and replayed, once each', async () => {
    await withFeedStack('e2e-duplicates', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const publisher = createPlainPublisher(stack.amqpUrl);
      try {
        const events = Array.from({ length: 600 }, (_, i) =>
          employeeRegistered('e2e.dup-a', `e-${i}`),
        );
        // Every event three times, in separate rounds so different workers may take them.
        for (let copy = 0; copy < 3; copy += 1)
          await runPlainLoad({ publisher, ledger, events, toMessage: (e) => structuredMessage(e) });
        // The same ids from a second source are other events: stored too, once each.
        const twins = events.map((e) => employeeRegistered('e2e.dup-b', e.id));
        await runPlainLoad({
          publisher,
          ledger,
          events: twins,
          toMessage: (e) => propertiesMessage(e),
        });
        await settle(stack, service.url, ledger);
        // A replay of everything already stored (a publisher's at-least-once retry).
        await runPlainLoad({
          publisher,
          ledger,
          events: [...events, ...twins],
          toMessage: (e) => structuredMessage(e),
        });

        const { verdict } = await settle(stack, service.url, ledger);
        expect(ledger.repeatedSends()).toBe(600 * 3 + 600);
        const absorbed = await stack.duplicatesAbsorbed();
        expect(absorbed).toBe(ledger.repeatedSends());
        summary.add(expectNothingLostNothingTwice('duplicates', verdict, absorbed));
      } finally {
        await publisher.close();
      }
    });
  }, 90_000);

  it('counts reactions that arrive before the event they react to once it arrives', async () => {
    await withFeedStack('e2e-early-reactions', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const publisher = createPlainPublisher(stack.amqpUrl);
      try {
        const targets = Array.from({ length: 200 }, (_, i) =>
          employeeRegistered('e2e.hr', `t-${i}`),
        );
        const actors = ['ana', 'ben', 'chen'];
        const reactions = targets.flatMap((t, i) =>
          actors.map((actor) =>
            reactionAdded(
              'e2e.reactions',
              `r-${i}-${actor}`,
              { source: t.source, id: t.id },
              actor,
            ),
          ),
        );
        // Reactions are not feed items: they change the counters of their target, so they
        // are checked through those counters, not through the ledger of stored events.
        await runPlainLoad({
          publisher,
          ledger: new PublishLedger(),
          events: reactions,
          toMessage: (e) => structuredMessage(e),
        });
        await waitFor(
          'the reactions to be stored before their targets exist',
          async () =>
            (await countRows(stack.database.url, 'select count(*) as n from feed_reactions')) ===
            reactions.length,
          { timeout: 30_000, interval: 200 },
        );
        await runPlainLoad({
          publisher,
          ledger,
          events: targets,
          toMessage: (e) => structuredMessage(e),
        });

        const { verdict, events } = await settle(stack, service.url, ledger);
        const byKey = new Map(events.map((e) => [eventKey(e.source, e.id), e]));
        for (const target of targets)
          expect(byKey.get(eventKey(target.source, target.id))?.reactions, target.id).toEqual({
            like: actors.length,
          });
        summary.add(
          expectNothingLostNothingTwice(
            'early reactions',
            verdict,
            await stack.duplicatesAbsorbed(),
          ),
        );
      } finally {
        await publisher.close();
      }
    });
  }, 90_000);
});
