import type { FeedEvent } from '@feed/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPool, getEvent, storeEvents, type Pool } from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('store-reaction-races');
  pool = createPool({ connectionString: db.url, max: 20 });
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
    source: 'races',
    type: 'kudos.given',
    time: '2026-01-01T00:00:00.000Z',
    data: {},
  };
};
const reaction = (of: FeedEvent, actor: string, kind = 'fire'): FeedEvent => {
  counter += 1;
  return {
    specversion: '1.0',
    id: `r-${counter}`,
    source: 'reactions',
    type: 'reaction.added',
    time: '2026-01-02T00:00:00.000Z',
    data: { target: { source: of.source, id: of.id }, reaction: kind, actor },
  };
};

it('many transactions reacting to one event at once count every reaction exactly once', async () => {
  const event = target();
  await storeEvents(pool, [event]);
  // 60 people in 15 concurrent transactions, each batch mixing two kinds.
  const batches = Array.from({ length: 15 }, (_, b) =>
    Array.from({ length: 4 }, (_, i) =>
      reaction(event, `p-${b}-${i}`, i % 2 === 0 ? 'fire' : 'like'),
    ),
  );
  await Promise.all(batches.map((batch) => storeEvents(pool, batch)));
  const [stored] = await getEvent(pool, event);
  expect(stored!.reactions).toEqual({ fire: 30, like: 30 });
});

it('reactions racing the insert of their event are counted, whichever commits first', async () => {
  for (let round = 0; round < 20; round += 1) {
    const event = target();
    const early = Array.from({ length: 5 }, (_, i) => [reaction(event, `early-${round}-${i}`)]);
    // The event and its reactions in concurrent transactions, in no particular order.
    await Promise.all([
      ...early.map((batch) => storeEvents(pool, batch)),
      storeEvents(pool, [event]),
    ]);
    const late = reaction(event, `late-${round}`);
    await storeEvents(pool, [late]);
    const [stored] = await getEvent(pool, event);
    expect(stored!.reactions, `round ${round}`).toEqual({ fire: 6 });
  }
});
