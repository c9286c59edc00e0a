import pg from 'pg';
import { expect } from 'vitest';
import { topology } from '@feed/contracts';
import { waitFor } from '../../test-support/index.js';
import { readDeadLetters, queueDepth, type DeadLetter } from './deadLetters.js';
import { readAllEvents, type ApiEvent } from './feedApi.js';
import type { FeedStack } from './feedStack.js';
import type { PublishLedger } from './ledger.js';
import type { ScenarioRow } from './summary.js';
import { judgeDelivery, type Verdict } from './verdict.js';

/** The error code a parked message carries: whichever header holds a FEED_ERR_ code. */
export function deadLetterCode(letter: DeadLetter): string | undefined {
  for (const value of Object.values(letter.headers)) {
    const text = Buffer.isBuffer(value) ? value.toString() : value;
    if (typeof text === 'string' && /^FEED_ERR_[A-Z0-9_]+$/.test(text)) return text;
  }
  return undefined;
}

/** The reason a parked message carries: the longest text header that is not the code. */
export function deadLetterReason(letter: DeadLetter): string | undefined {
  const texts = Object.entries(letter.headers)
    .map(([, value]) => (Buffer.isBuffer(value) ? value.toString() : value))
    .filter((v): v is string => typeof v === 'string' && !/^FEED_ERR_/.test(v));
  return texts.sort((a, b) => b.length - a.length)[0];
}

async function storedRows(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from feed_events');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

export interface Settled {
  verdict: Verdict;
  events: ApiEvent[];
  dead: DeadLetter[];
}

/**
 * Waits until the feed has caught up (queue empty, every confirmed event stored, every
 * poison message parked), then reads the final state through the public API and the broker
 * and judges it against the ledger.
 */
export async function settle(
  stack: FeedStack,
  serviceUrl: string,
  ledger: PublishLedger,
  options: { timeout?: number } = {},
): Promise<Settled> {
  const expected = ledger.confirmedKeys().size;
  let status = 'not read yet';
  await waitFor(
    `the feed to store ${expected} events and park ${ledger.expectedParked().size}`,
    async () => {
      const [stored, waiting, parked] = await Promise.all([
        storedRows(stack.database.url),
        queueDepth(stack.vhost.url, topology.queue),
        queueDepth(stack.vhost.url, topology.deadLetterQueue),
      ]);
      status = `stored ${stored}/${expected}, queued ${waiting}, parked ${parked}`;
      return stored >= expected && waiting === 0 && parked >= ledger.expectedParked().size;
    },
    { timeout: options.timeout ?? 60_000, interval: 250 },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message} (${status})\n${crashReport(stack)}`);
  });
  const events = await readAllEvents(serviceUrl);
  const dead = await readDeadLetters(stack.vhost.url);
  const verdict = judgeDelivery({
    confirmed: ledger.confirmedKeys(),
    stored: events,
    expectedParked: ledger.expectedParked(),
    dead,
    codeOf: deadLetterCode,
  });
  return { verdict, events, dead };
}

/** The last lines of every crashed process, for a scenario that did not settle. */
function crashReport(stack: FeedStack): string {
  return stack.crashes.map((c) => `${c.name} crashed:\n${c.lastLines.join('\n')}`).join('\n');
}

/** The assertions every scenario makes, and its row of the summary table. */
export function expectNothingLostNothingTwice(
  scenario: string,
  verdict: Verdict,
  ledger: PublishLedger,
): ScenarioRow {
  expect(verdict.lost, 'confirmed events missing from GET /events').toEqual([]);
  expect(verdict.storedTwice, 'events returned twice by GET /events').toEqual([]);
  expect(verdict.unconfirmedStored, 'stored events nobody confirmed').toEqual([]);
  expect(verdict.parkedWrong, 'invalid messages not parked with their code').toEqual([]);
  expect(verdict.parkedUnexpected, 'messages parked that should have been stored').toEqual([]);
  expect(verdict.stored).toBe(verdict.published);
  return {
    scenario,
    published: verdict.published,
    stored: verdict.stored,
    duplicatesAbsorbed: ledger.repeatedSends(),
    parked: verdict.parked,
    lost: verdict.lost.length,
  };
}
