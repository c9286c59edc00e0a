import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { adminUrl } from '../test-support/index.js';
import { faultsDuringLoad, holdFor } from './harness/faultLoop.js';
import { PublishLedger } from './harness/ledger.js';
import { createLoadMix } from './harness/loadMix.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { connectStream } from './harness/streamClient.js';
import { createSummary } from './harness/summary.js';
import { eventKey } from './harness/ledger.js';
import { waitFor } from '../test-support/index.js';

const summary = createSummary('databaseFaults');
afterAll(() => summary.print());

/**
 * Terminates every connection to this scenario's database only (never anyone else's), once
 * the workers hold one again (after the round before, they reconnect as their retries come
 * due, and a round in between would hit none of theirs); returns how many were the workers'.
 */
async function terminateConnections(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await waitFor(
      'the workers connected to the database again',
      async () => {
        const { rows } = await client.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
            where datname = $1 and application_name = 'feed-worker'`,
          [database],
        );
        return rows[0]!.n > 0;
      },
      { timeout: 20_000 },
    );
    const { rows } = await client.query<{ terminated: boolean; application_name: string }>(
      `select pg_terminate_backend(pid) as terminated, application_name from pg_stat_activity
        where datname = $1 and pid <> pg_backend_pid()`,
      [database],
    );
    return rows.filter((row) => row.terminated && row.application_name === 'feed-worker').length;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL fails during load', () => {
  it('connections terminated again and again: workers retry, nothing lost, nothing twice', async () => {
    await withFeedStack('e2e-pg-terminate', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const stream = connectStream(`${service.url}/events/stream`);
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        const faults = faultsDuringLoad(ledger, [400, 1000, 1600, 2200], () =>
          terminateConnections(stack.database.name),
        );
        await load.run('term', 1500);
        const workerConnections = await faults.done();
        expect(
          workerConnections.map((n) => n > 0),
          `worker connections terminated by each of the four rounds: ${workerConnections.join(', ')}`,
        ).toEqual([true, true, true, true]);
        const { verdict, events } = await settle(stack, service.url, ledger);
        await waitFor(
          'the stream client to receive every stored event',
          () => stream.received().length >= events.length,
          { timeout: 30_000, interval: 100 },
        );
        expect([...stream.received()].sort()).toEqual(
          events.map((e) => eventKey(e.source, e.id)).sort(),
        );
        summary.add(
          expectNothingLostNothingTwice(
            'pg connections terminated x4',
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

  it('PostgreSQL unreachable (proxy down) for longer than a batch takes: retried, not parked', async () => {
    await withFeedStack('e2e-pg-down', {}, async (stack) => {
      await stack.startWorker();
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const load = createLoadMix(stack, ledger);
      try {
        const outage = faultsDuringLoad(ledger, [800], async () => {
          stack.pgProxy.down();
          await holdFor(8000);
          stack.pgProxy.up();
        });
        await load.run('pgdown', 1500);
        expect(await outage.done()).toHaveLength(1);
        const { verdict } = await settle(stack, service.url, ledger);
        summary.add(
          expectNothingLostNothingTwice(
            'pg unreachable 8 s',
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
