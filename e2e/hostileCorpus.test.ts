import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rabbitmqctl, waitFor } from '../test-support/index.js';
import { readDeadLetters } from './harness/deadLetters.js';
import { counterValue } from './harness/metrics.js';
import { withFeedStack } from './harness/scenario.js';
import { deadLetterCode, deadLetterReason } from './harness/settle.js';

const run = promisify(execFile);
const corpusScript = fileURLToPath(new URL('./python/hostile_corpus.py', import.meta.url));

/** Ready and unacknowledged messages of feed.events in a vhost, as the broker counts them. */
async function queueCounts(vhost: string): Promise<{ ready: number; unacked: number }> {
  const out = await rabbitmqctl(
    'list_queues',
    '-q',
    '--no-table-headers',
    '-p',
    vhost,
    'name',
    'messages_ready',
    'messages_unacknowledged',
  );
  const line = out.split('\n').find((l) => l.trim().startsWith('feed.events'));
  const [, ready = '-1', unacked = '-1'] = (line ?? '').trim().split(/\s+/);
  return { ready: Number(ready), unacked: Number(unacked) };
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();

describe('a hostile corpus from a plain pika publisher', () => {
  it('stores or parks every message with a short reason; the sentinel after it is stored; the worker never restarts or reconnects', async () => {
    await withFeedStack('e2e-hostile', {}, async (stack) => {
      const worker = await stack.startWorker({ WORKER_ACK_WAIT_MS: '1000' });
      const pid = worker.process.pid;
      const reconnectsBefore = counterValue(
        await metricsOf(worker.httpUrl),
        'feed_worker_reconnects_total',
      );
      const sentinel = `sentinel-${Date.now()}`;
      const { stdout } = await run('/usr/bin/python3', [corpusScript, stack.vhost.url, sentinel], {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 120_000,
      });
      const sent = (JSON.parse(stdout) as { sent: Array<{ name: string; message_id: string }> })
        .sent;

      await waitFor(
        'the sentinel stored',
        async () =>
          (
            await query(
              stack.database.url,
              `select 1 from feed_events where source = 'hostile' and event_id = $1`,
              [sentinel],
            )
          ).length === 1,
        { timeout: 60_000 },
      );
      // The worker's own count first: the broker's figures for a quorum queue lag by seconds.
      await waitFor(
        'every message acked by the worker',
        async () => {
          const metrics = await metricsOf(worker.httpUrl);
          const received = counterValue(metrics, 'feed_worker_messages_received_total');
          const settled =
            counterValue(metrics, 'feed_worker_messages_acked_total') +
            counterValue(metrics, 'feed_worker_messages_dead_lettered_total');
          return received >= sent.length + 1 && settled === received;
        },
        { timeout: 120_000 },
      );
      await waitFor(
        'feed.events empty as the broker counts it: nothing ready, nothing unacked',
        async () => {
          const counts = await queueCounts(stack.vhost.name);
          return counts.ready === 0 && counts.unacked === 0;
        },
        { timeout: 60_000 },
      );

      const dead = await readDeadLetters(stack.vhost.url);
      const parked = new Map(dead.map((letter) => [letter.messageId, letter]));
      const storedIds = new Set(
        (
          await query<{ event_id: string }>(
            stack.database.url,
            `select event_id from feed_events where source = 'hostile' or event_id like 'hostile-%'`,
          )
        ).map((row) => row.event_id.split(':')[0]!),
      );
      const fates = sent.map(({ name, message_id }) => {
        const letter = parked.get(message_id);
        return {
          name,
          fate: letter !== undefined ? 'parked' : storedIds.has(message_id) ? 'stored' : 'lost',
          code: letter === undefined ? undefined : deadLetterCode(letter),
          reasonLength: letter === undefined ? 0 : (deadLetterReason(letter) ?? '').length,
          dropped: letter?.headers['x-feed-dropped'] !== undefined,
        };
      });
      console.log(
        fates
          .map(
            (f) =>
              `${f.name.padEnd(24)} ${f.fate.padEnd(7)} ${f.code ?? ''}${f.dropped ? ' (original headers dropped)' : ''}`,
          )
          .join('\n'),
      );
      expect(fates.filter((f) => f.fate === 'lost')).toEqual([]);
      // Every message that carried odd headers is parked; the one whose headers a field table
      // cannot carry again is parked without them, and says so.
      for (const name of ['headers near 64 KB', 'many headers', 'nested headers'])
        expect(fates.find((f) => f.name === name)).toMatchObject({ fate: 'parked' });
      expect(fates.find((f) => f.name === 'headers over 64 KB')).toMatchObject({
        fate: 'parked',
        dropped: true,
      });
      // A reason quotes at most a few dozen characters of any input.
      for (const fate of fates) expect(fate.reasonLength, fate.name).toBeLessThan(1200);
      // Parking itself never failed: nothing had to be dead-lettered by rejection.
      for (const letter of dead) expect(letter.headers['x-death']).toBeUndefined();

      expect(worker.process.exit()).toBeNull();
      expect(worker.process.pid).toBe(pid);
      const metrics = await metricsOf(worker.httpUrl);
      expect(counterValue(metrics, 'feed_worker_reconnects_total')).toBe(reconnectsBefore);
      expect(counterValue(metrics, 'feed_worker_messages_dead_lettered_total')).toBe(0);
      expect((await fetch(`${worker.httpUrl}/readyz`)).status).toBe(200);
    });
  });
});
