import type { FeedEvent } from '@feed/contracts';
import { describe, expect, it } from 'vitest';
import { AbandonedError, storeItems, type StoreItem, type StoringOptions } from '../src/storing.js';

/**
 * The retry and bisection rules against a store that answers the way `fail` says for the
 * events of one transaction (the store's own statements are tested against PostgreSQL).
 */
function fakeStore(
  fail: (ids: string[], call: number) => unknown,
  probe: () => unknown = () => null,
) {
  const transactions: string[][] = [];
  return {
    transactions,
    store: async (events: FeedEvent[]) => {
      const ids = events.map((e) => e.id);
      transactions.push(ids);
      const error = fail(ids, transactions.length);
      if (error) throw error;
      return {
        stored: ids.length,
        duplicates: 0,
        reactions: 0,
        snapshots: 0,
      };
    },
    probe: async () => {
      const error = probe();
      if (error) throw error;
    },
  };
}

const event = (id: string): FeedEvent => ({
  specversion: '1.0',
  id,
  source: 's',
  type: 'note.written',
  time: '2026-01-01T00:00:00.000Z',
  data: {},
});
const singles = (ids: string[]): Array<StoreItem<string>> =>
  ids.map((id) => ({ message: id, events: [event(id)] }));

const options = (
  store: ReturnType<typeof fakeStore>,
  overrides: Partial<StoringOptions> = {},
): StoringOptions => ({
  store: store.store,
  probe: store.probe,
  maxEventsPerTransaction: 1000,
  logger: { warn: () => {} },
  retryMinMs: 0,
  retryMaxMs: 1,
  unknownAttempts: 3,
  abandoned: () => false,
  signal: new AbortController().signal,
  ...overrides,
});

const ids = Array.from({ length: 16 }, (_, i) => `e${i}`);
const refusedIds = (result: Awaited<ReturnType<typeof storeItems<string>>>) =>
  [...result.refused].flatMap(([message, events]) => events.map((e) => `${message}#${e.index}`));

describe('storeItems', () => {
  it('refuses only the messages the database refuses for their data', async () => {
    const store = fakeStore((batchIds) =>
      batchIds.includes('e3') || batchIds.includes('e12')
        ? Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' })
        : null,
    );
    const result = await storeItems(singles(ids), options(store));
    expect(refusedIds(result)).toEqual(['e3#0', 'e12#0']);
    expect(result.refused.get('e3')![0]).toMatchObject({ code: 'FEED_ERR_REFUSED' });
    expect(result.refused.get('e3')![0]!.reason).toMatch(/SQLSTATE 22P05/);
    expect(result.stored).toBe(14);
  });

  it('isolates bad events in about 2·k·log2(n) transactions, storing every neighbour in order', async () => {
    const many = Array.from({ length: 500 }, (_, i) => `e${i}`);
    const bad = new Set(['e0', 'e17', 'e18', 'e250', 'e499']);
    const stored: string[] = [];
    const store = fakeStore((batchIds) => {
      if (batchIds.some((id) => bad.has(id)))
        return Object.assign(new Error('bad'), { code: '23514' });
      stored.push(...batchIds);
      return null;
    });
    const result = await storeItems(singles(many), options(store));
    expect(refusedIds(result)).toEqual(['e0#0', 'e17#0', 'e18#0', 'e250#0', 'e499#0']);
    expect(stored).toEqual(many.filter((id) => !bad.has(id)));
    expect(store.transactions.length).toBeLessThan(2 * bad.size * Math.ceil(Math.log2(500)) + 1);
  });

  it('stores a bulk message in parts of at most maxEventsPerTransaction, and refuses single events of it', async () => {
    const bulk = Array.from({ length: 2500 }, (_, i) => event(`b:${i}`));
    const store = fakeStore((batchIds) =>
      batchIds.includes('b:1234') ? Object.assign(new Error('bad'), { code: '22P05' }) : null,
    );
    const result = await storeItems(
      [{ message: 'bulk', events: bulk }, ...singles(['after'])],
      options(store, { maxEventsPerTransaction: 1000 }),
    );
    expect(store.transactions.every((t) => t.length <= 1000)).toBe(true);
    expect(refusedIds(result)).toEqual(['bulk#1234']);
    expect(result.refused.get('bulk')![0]!.event.id).toBe('b:1234');
    expect(result.stored).toBe(2500);
  });

  it('retries passing failures with the batch in hand, and never refuses for them', async () => {
    const store = fakeStore((_, call) =>
      call <= 5 ? Object.assign(new Error('terminating connection'), { code: '57P01' }) : null,
    );
    const result = await storeItems(singles(ids), options(store));
    expect(result.stored).toBe(16);
    expect(result.refused.size).toBe(0);
    expect(store.transactions.length).toBe(6);
  });

  it('parks a poison message whose error is of unknown kind within bounded attempts', async () => {
    const store = fakeStore((batchIds) =>
      batchIds.includes('e7') ? Object.assign(new Error('internal'), { code: 'XX000' }) : null,
    );
    const result = await storeItems(singles(ids), options(store));
    expect(refusedIds(result)).toEqual(['e7#0']);
    expect(result.stored).toBe(15);
    // 3 tries before the probe says the database takes writes; after that the same error
    // refuses at once: 3 + one per group on the path to e7 (log2 16 = 4 splits, 2 groups each).
    expect(store.transactions.length).toBeLessThanOrEqual(3 + 2 * 4);
  });

  it('keeps retrying, refusing nothing, when the database does not take writes (probe fails)', async () => {
    const denied = Object.assign(new Error('permission denied for table feed_events'), {
      code: '42501',
    });
    const store = fakeStore(
      () => denied,
      () => denied,
    );
    await expect(
      storeItems(
        singles(ids),
        options(store, { abandoned: () => store.transactions.length >= 20 }),
      ),
    ).rejects.toBeInstanceOf(AbandonedError);
    expect(store.transactions.length).toBe(20);
  });
});
