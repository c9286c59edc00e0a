import type { FeedEvent } from '@feed/contracts';
import type { Pool } from '@feed/store';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AbandonedError, storeBatch, type ParsedMessage } from '../src/storeBatch.js';

/**
 * A pool that answers like PostgreSQL would for the statements storeBatch sends, and fails
 * the way `fail` says for an insert holding a given event.
 */
function fakePool(
  fail: (ids: string[], call: number) => unknown,
  probe: () => unknown = () => null,
) {
  let inserts = 0;
  const pool = {
    inserts: () => inserts,
    async connect() {
      return {
        async query(sql: string, params?: unknown[]) {
          if (sql.includes('insert into feed_events')) {
            inserts += 1;
            const ids = (JSON.parse(params![0] as string) as Array<{ id: string }>).map(
              (e) => e.id,
            );
            const error = fail(ids, inserts);
            if (error) throw error;
            return { rows: ids.map((id, i) => ({ seq: String(i), source: 's', id })) };
          }
          return { rows: [] };
        },
        release() {},
      };
    },
    async query(sql: string) {
      if (sql.startsWith('select 1 from feed_events')) {
        const error = probe();
        if (error) throw error;
      }
      return { rows: [] };
    },
  };
  return pool;
}

const event = (id: string): FeedEvent => ({
  specversion: '1.0',
  id,
  source: 's',
  type: 'note.written',
  time: '2026-01-01T00:00:00.000Z',
  data: {},
});
const batch = (ids: string[]): Array<ParsedMessage<string>> =>
  ids.map((id) => ({ message: id, events: [event(id)] }));

const options = (pool: ReturnType<typeof fakePool>, abandoned = () => false) => ({
  pool: pool as unknown as Pool,
  logger: pino({ level: 'silent' }),
  retryMinMs: 0,
  retryMaxMs: 1,
  unknownAttempts: 3,
  abandoned,
  signal: new AbortController().signal,
});

const ids = Array.from({ length: 16 }, (_, i) => `e${i}`);

describe('storeBatch', () => {
  it('refuses only the messages the database refuses for their data', async () => {
    const pool = fakePool((batchIds) =>
      batchIds.includes('e3') || batchIds.includes('e12')
        ? Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' })
        : null,
    );
    const result = await storeBatch(batch(ids), options(pool));
    expect(result.refused.map((r) => [r.message, r.code])).toEqual([
      ['e3', 'FEED_ERR_REFUSED'],
      ['e12', 'FEED_ERR_REFUSED'],
    ]);
    expect(result.refused[0]!.reason).toMatch(/SQLSTATE 22P05/);
    expect(result.stored).toBe(14);
  });

  it('retries passing failures with the batch in hand, and never refuses for them', async () => {
    const pool = fakePool((_, call) =>
      call <= 5 ? Object.assign(new Error('terminating connection'), { code: '57P01' }) : null,
    );
    const result = await storeBatch(batch(ids), options(pool));
    expect(result).toMatchObject({ stored: 16, refused: [] });
    expect(pool.inserts()).toBe(6);
  });

  it('parks a poison message whose error is of unknown kind within bounded attempts', async () => {
    const pool = fakePool((batchIds) =>
      batchIds.includes('e7') ? Object.assign(new Error('internal'), { code: 'XX000' }) : null,
    );
    const result = await storeBatch(batch(ids), options(pool));
    expect(result.refused.map((r) => r.message)).toEqual(['e7']);
    expect(result.stored).toBe(15);
    // 3 tries per group on the path to e7 (log2 16 = 4 splits), plus the clean halves.
    expect(pool.inserts()).toBeLessThanOrEqual(3 * 5 + 4);
  });

  it('keeps retrying, refusing nothing, when the database itself fails (unknown error, probe fails)', async () => {
    const systemic = Object.assign(new Error('relation "feed_events" does not exist'), {
      code: '42P01',
    });
    const pool = fakePool(
      () => systemic,
      () => systemic,
    );
    await expect(
      storeBatch(
        batch(ids),
        options(pool, () => pool.inserts() >= 20),
      ),
    ).rejects.toBeInstanceOf(AbandonedError);
    expect(pool.inserts()).toBe(20);
  });
});
