import { describe, expect, it } from 'vitest';
import { FeedError, FeedErrorCode, type FeedEvent } from '@feed/contracts';
import { outboxOutcome } from '../src/outboxOutcome.js';
import type { OutboxRow } from '../src/sql/claimOutboxBatch.js';

const row = (id: string, attempts = 0, permanentFailures = 0): OutboxRow => ({
  id,
  source: 's',
  attempts,
  permanentFailures,
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
    expect(outcome.retries).toEqual([{ id: '2', delayMs: 500, error: 'nacked', permanent: false }]);
    expect(outcome.setAside).toEqual([]);
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

  const invalid: PromiseSettledResult<FeedEvent[]> = {
    status: 'rejected',
    reason: new FeedError(FeedErrorCode.PublishInvalid, 'event is invalid'),
  };

  it('counts a failure of the event itself, and sets the row aside at the bound', () => {
    const bounded = { ...backoff, maxPermanentFailures: 3 };
    const first = outboxOutcome([row('1', 0, 0)], [invalid], bounded, () => 1);
    expect(first.retries).toEqual([expect.objectContaining({ id: '1', permanent: true })]);
    const third = outboxOutcome([row('1', 9, 2)], [invalid], bounded, () => 1);
    expect(third).toEqual({
      sent: [],
      retries: [],
      setAside: [{ id: '1', reason: 'event is invalid' }],
    });
  });

  it('never sets a row aside for the broker: no confirm, a nack, a closed or unroutable publish', () => {
    const codes = [
      FeedErrorCode.PublishTimeout,
      FeedErrorCode.PublishNacked,
      FeedErrorCode.PublishClosed,
      FeedErrorCode.PublishBufferFull,
      FeedErrorCode.PublishUnroutable,
    ];
    for (const code of codes) {
      const reason = new FeedError(code, code);
      const outcome = outboxOutcome(
        [row('1', 1000, 1000)],
        [{ status: 'rejected', reason }],
        { ...backoff, maxPermanentFailures: 1 },
        () => 1,
      );
      expect([outcome.setAside, outcome.retries[0]!.permanent], code).toEqual([[], false]);
    }
  });
});
