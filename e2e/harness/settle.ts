import pg from 'pg';
import { expect } from 'vitest';
import { topology } from '@feed/contracts';
import { waitFor } from '../../test-support/index.js';
import { readDeadLetters, queueDepth, type DeadLetter } from './deadLetters.js';
import { readAllEvents, type ApiEvent } from './feedApi.js';
import type { FeedStack } from './feedStack.js';
import { eventKey, type PublishLedger } from './ledger.js';
import type { ScenarioRow } from './summary.js';
import { judgeDelivery, type Verdict } from './verdict.js';

/** The error code the worker parked a message with (`x-feed-error-code`). */
export function deadLetterCode(letter: DeadLetter): string | undefined {
  return headerText(letter.headers['x-feed-error-code']);
}

/** The reason the worker parked a message with (`x-feed-error`). */
export function deadLetterReason(letter: DeadLetter): string | undefined {
  return headerText(letter.headers['x-feed-error']);
}

function headerText(value: unknown): string | undefined {
  if (Buffer.isBuffer(value)) return value.toString();
  return typeof value === 'string' ? value : undefined;
}

/** A count read straight from the scenario's database (not through its proxy). */
export async function countRows(databaseUrl: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(sql);
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
      // A crashed process fails the scenario at once, not at the deadline.
      if (stack.crashes.length > 0) return true;
      const [stored, waiting, parked] = await Promise.all([
        countRows(stack.database.url, 'select count(*) as n from feed_events'),
        queueDepth(stack.vhost.url, topology.queue),
        queueDepth(stack.vhost.url, topology.deadLetterQueue),
      ]);
      status = `stored ${stored}/${expected}, queued ${waiting}, parked ${parked}`;
      return stored >= expected && waiting === 0 && parked >= ledger.expectedParked().size;
    },
    { timeout: options.timeout ?? 40_000, interval: 250 },
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message} (${status})\n${crashReport(stack)}`);
  });
  stack.assertNoCrash();
  // The service answers the head of the feed from memory, refreshed on each NOTIFY: right
  // after the last commit it may lag. Read until the API shows every confirmed event or the
  // deadline passes; whatever is still missing then is reported as lost.
  let events: ApiEvent[] = [];
  await waitFor(
    'GET /events to show every confirmed event',
    async () => {
      events = await readAllEvents(serviceUrl);
      const shown = new Set(events.map((e) => eventKey(e.source, e.id)));
      return [...ledger.confirmedKeys()].every((key) => shown.has(key));
    },
    // A walk of a large feed on a loaded machine takes seconds: room for a few of them.
    { timeout: options.timeout ?? 40_000, interval: 250 },
  ).catch(() => undefined);
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
  duplicatesAbsorbed: number,
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
    duplicatesAbsorbed,
    parked: verdict.parked,
    lost: verdict.lost.length,
  };
}
