import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '@feed/contracts';
import { outboxOutcome } from '../src/outboxOutcome.js';
import type { OutboxRow } from '../src/sql/claimOutboxBatch.js';

const row = (id: string, attempts = 0): OutboxRow => ({
  id,
  source: 's',
  attempts,
  event: {} as FeedEvent,
});
const ok: PromiseSettledResult<FeedEvent[]> = { status: 'fulfilled', value: [] };
const failed = (message: string): PromiseSettledResult<FeedEvent[]> => ({
  status: 'rejected',
  reason: new Error(message),
});

describe('outboxOutcome', () => {
  const backoff = { minMs: 500, maxMs: 60_000 };

  it('marks confirmed rows sent and puts the others back with their error', () => {
    const outcome = outboxOutcome(
      [row('1'), row('2'), row('3')],
      [ok, failed('nacked'), ok],
      backoff,
      () => 1,
    );
    expect(outcome.sent).toEqual(['1', '3']);
    expect(outcome.retries).toEqual([{ id: '2', delayMs: 500, error: 'nacked' }]);
  });

  it('backs off further with each attempt, up to the cap, never to zero', () => {
    const delays = [0, 3, 20].map(
      (attempts) =>
        outboxOutcome([row('1', attempts)], [failed('x')], backoff, () => 1).retries[0]!.delayMs,
    );
    expect(delays).toEqual([500, 4000, 60_000]);
    expect(outboxOutcome([row('1')], [failed('x')], backoff, () => 0).retries[0]!.delayMs).toBe(
      250,
    );
  });
});
