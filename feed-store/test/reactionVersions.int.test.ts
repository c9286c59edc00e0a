import type { FeedEvent } from '@feed/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  getEvent,
  listReaderReactions,
  nextReactionVersion,
  storeEvents,
  type Pool,
} from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('store-reaction-versions');
  pool = createPool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

let counter = 0;
const target = (): FeedEvent => {
  counter += 1;
  return {
    specversion: '1.0',
    id: `t-${counter}`,
    source: 'versions',
    type: 'kudos.given',
    time: '2026-01-01T00:00:00.000Z',
    data: {},
  };
};
/** One change, all at the same millisecond: only its version can order it. */
const change = (
  of: FeedEvent,
  type: 'reaction.added' | 'reaction.removed',
  version: number | undefined,
  time = '2026-01-02T00:00:00.000Z',
): FeedEvent => {
  counter += 1;
  return {
    specversion: '1.0',
    id: `r-${counter}`,
    source: 'feed-service',
    type,
    time,
    actor: 'e-1',
    data: {
      target: { source: of.source, id: of.id },
      reaction: 'fire',
      actor: 'e-1',
      ...(version === undefined ? {} : { version }),
    },
  };
};
const counts = async (event: FeedEvent) => (await getEvent(pool, event))[0]!.reactions;

describe('reaction changes ordered by their version', () => {
  it('put, delete, put within one millisecond ends reacted, in whatever order the changes arrive', async () => {
    const event = target();
    await storeEvents(pool, [event]);
    const put1 = change(event, 'reaction.added', 1);
    const del2 = change(event, 'reaction.removed', 2);
    const put3 = change(event, 'reaction.added', 3);
    // Arriving backwards, each in its own batch: the later ones must not be undone.
    for (const one of [put3, del2, put1]) await storeEvents(pool, [one]);
    expect(await counts(event)).toEqual({ fire: 1 });
    // A redelivery of an older change changes nothing.
    await storeEvents(pool, [{ ...del2 }]);
    expect(await counts(event)).toEqual({ fire: 1 });
  });

  it('a delete that follows a put at the same millisecond wins, in one batch or two', async () => {
    const oneBatch = target();
    const twoBatches = target();
    await storeEvents(pool, [oneBatch, twoBatches]);
    await storeEvents(pool, [
      change(oneBatch, 'reaction.removed', 11),
      change(oneBatch, 'reaction.added', 10),
    ]);
    expect(await counts(oneBatch)).toEqual({});
    await storeEvents(pool, [change(twoBatches, 'reaction.added', 20)]);
    expect(await counts(twoBatches)).toEqual({ fire: 1 });
    await storeEvents(pool, [change(twoBatches, 'reaction.removed', 21)]);
    expect(await counts(twoBatches)).toEqual({});
  });

  it('a version beats the clock: a later change from a replica whose clock is behind still wins', async () => {
    const event = target();
    await storeEvents(pool, [event]);
    await storeEvents(pool, [change(event, 'reaction.added', 30, '2026-01-03T00:00:00.000Z')]);
    await storeEvents(pool, [change(event, 'reaction.removed', 31, '2026-01-02T00:00:00.000Z')]);
    expect(await counts(event)).toEqual({});
  });

  it('changes without a version still go by event time', async () => {
    const event = target();
    await storeEvents(pool, [event]);
    await storeEvents(pool, [
      change(event, 'reaction.added', undefined, '2026-01-03T00:00:00.000Z'),
    ]);
    await storeEvents(pool, [
      change(event, 'reaction.removed', undefined, '2026-01-02T00:00:00.000Z'),
    ]);
    expect(await counts(event)).toEqual({ fire: 1 });
  });

  it("hands out versions that only grow, and lists a reader's own reactions", async () => {
    const first = await nextReactionVersion(pool);
    const second = await nextReactionVersion(pool);
    expect(second).toBeGreaterThan(first);
    const event = target();
    const other = target();
    await storeEvents(pool, [event, other]);
    await storeEvents(pool, [change(event, 'reaction.added', second + 1)]);
    const mine = await listReaderReactions(pool, 'e-1', [event, other]);
    expect([...mine]).toEqual([[`${event.source} ${event.id}`, ['fire']]]);
    expect((await listReaderReactions(pool, 'e-2', [event])).size).toBe(0);
  });
});
