import { describe, expect, it } from 'vitest';
import type { Queryable } from '@feed/store';
import { ServiceMetrics } from '../src/plugins/metrics.js';
import { ReadRouter } from '../src/readRouter.js';
import { idleFeed } from './feedFixtures.js';

const primary = { query: async () => ({ rows: [] }) } as unknown as Queryable;

function routerSeeing(horizon: string | undefined) {
  const liveFeed = {
    ...idleFeed,
    visibility: horizon === undefined ? undefined : { horizon, held: false, lsn: '0/0' },
  };
  return new ReadRouter({ primary, replica: undefined, liveFeed, metrics: new ServiceMetrics() });
}

describe('ReadRouter on the primary', () => {
  it("reads below a cursor with the live feed's horizon or just above the cursor, and computes one only for the top", async () => {
    const router = routerSeeing('5000');
    // Every event older than the cursor is below 5000: the same rows as the current horizon.
    expect((await router.reader({ xid: '4999', seq: '12' })).horizon).toBe('5000');
    // A cursor at or above it: every event below it is final (its own was visible), so the
    // read goes just above it, and never below a horizon an earlier page was read at.
    expect((await router.reader({ xid: '5000', seq: '1' })).horizon).toBe('5001');
    expect((await router.reader({ xid: '90000', seq: '1' })).horizon).toBe('90001');
    // The head and first pages of filters always read at the current horizon.
    expect((await router.reader()).horizon).toBeUndefined();
    // Transaction ids compare as numbers, not as text.
    expect((await routerSeeing('10000').reader({ xid: '9999', seq: '1' })).horizon).toBe('10000');
  });

  it('reads just above a cursor while the live feed has read no horizon, and computes one for the top', async () => {
    expect(await routerSeeing(undefined).reader({ xid: '1', seq: '1' })).toMatchObject({
      client: primary,
      horizon: '2',
      replica: false,
    });
    expect((await routerSeeing(undefined).reader()).horizon).toBeUndefined();
  });
});
