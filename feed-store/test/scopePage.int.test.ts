import type { FeedEvent } from '@feed/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  beginFeedWrite,
  comparePositions,
  createPool,
  encodeCursor,
  insertEvents,
  listEvents,
  listScopePageJson,
  withTransaction,
  type OrgScope,
  type Pool,
  type Position,
  type StoredEvent,
} from '@feed/store';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';
import { scopePageQuery } from '../src/sql/listScopePageJson.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('scope_page');
  pool = createPool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

let counter = 0;
function event(overrides: Partial<FeedEvent>): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `s-${counter}`,
    source: 'scope-test',
    type: 'kudos.given',
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString(),
    data: { n: counter },
    ...overrides,
  };
}

const store = (events: FeedEvent[]) =>
  withTransaction(pool, async (client) => {
    await beginFeedWrite(client);
    await insertEvents(client, events);
  });

const at = (e: StoredEvent): Position => ({ xid: e.xid, seq: e.seq });
const within = (p: Position, span: { from: Position; to: Position | null }) =>
  comparePositions(p, span.from) >= 0 && (span.to === null || comparePositions(p, span.to) < 0);

/** What the scope holds, computed from the whole feed in JavaScript: newest first. */
function expected(all: StoredEvent[], scope: OrgScope): string[] {
  const data = (e: StoredEvent) => e.data as Record<string, unknown>;
  return all
    .filter(
      (e) =>
        scope.people.some((s) => (e.subject === s.id || e.actor === s.id) && within(at(e), s)) ||
        scope.teams.some(
          (s) => e.type === 'team.structure_changed' && data(e).teamId === s.id && within(at(e), s),
        ) ||
        (e.type === 'department.renamed' &&
          scope.departments.includes(String(data(e).departmentId))),
    )
    .map((e) => e.id);
}

/** Walks every page of the scope by cursor, in the merged form or the lateral one. */
async function walk(scope: OrgScope, horizon: string, scansMax: number | undefined) {
  const ids: string[] = [];
  let before: Position | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const options = { scope, before, limit: 3, horizon };
    const { text, params } = scopePageQuery(options, [], scansMax);
    const { rows } = await pool.query<{ xid: string; seq: string; item: string }>(text, params);
    const shown = rows.slice(0, 3);
    const items = shown.map((row) => JSON.parse(row.item) as { id: string; cursor: string });
    expect(items.map((item) => item.cursor)).toEqual(shown.map((row) => encodeCursor(row)));
    ids.push(...items.map((item) => item.id));
    if (rows.length <= 3) return ids;
    before = { xid: shown.at(-1)!.xid, seq: shown.at(-1)!.seq };
  }
  throw new Error('more than 100 pages');
}

describe('listScopePageJson', () => {
  it('walks a scope by cursor with no gap and no repeat, merged or lateral, spans respected', async () => {
    const people = ['p-a', 'p-b', 'p-c'];
    for (let round = 0; round < 6; round++)
      await store([
        ...people.map((p, i) => event({ actor: p, subject: people[(i + round) % 3] })),
        event({ subject: 'p-a', actor: 'outsider' }),
        event({ actor: 'outsider', subject: 'p-outsider' }),
        event({ type: 'team.structure_changed', data: { teamId: 't-1', change: 'renamed' } }),
        event({ type: 'team.structure_changed', data: { teamId: 't-2', change: 'renamed' } }),
        ...(round % 2 === 0
          ? [event({ type: 'department.renamed', data: { departmentId: 'd-1', to: `D${round}` } })]
          : []),
      ]);
    const all = await listEvents(pool, { source: 'scope-test', limit: 1000 });
    const positions = all.map(at).reverse();
    const { rows } = await pool.query<{ h: string }>('select feed_visible_horizon()::text as h');
    const horizon = rows[0]!.h;
    // p-a throughout, p-b for a middle stretch, p-c from a third of the way on; team t-1
    // until two thirds, t-2 never (a span that ends before it starts); department d-1.
    const third = positions[Math.floor(positions.length / 3)]!;
    const twoThirds = positions[Math.floor((2 * positions.length) / 3)]!;
    const scope: OrgScope = {
      people: [
        { id: 'p-a', from: { xid: '0', seq: '0' }, to: null },
        { id: 'p-b', from: third, to: twoThirds },
        { id: 'p-c', from: third, to: null },
      ],
      teams: [
        { id: 't-1', from: { xid: '0', seq: '0' }, to: twoThirds },
        { id: 't-2', from: twoThirds, to: third },
      ],
      departments: ['d-1'],
    };
    const wanted = expected(all, scope);
    expect(wanted.length).toBeGreaterThan(20);
    expect(await walk(scope, horizon, undefined)).toEqual(wanted);
    expect(await walk(scope, horizon, 0)).toEqual(wanted);
    const page = await listScopePageJson(pool, { scope, limit: 5, horizon });
    expect((JSON.parse(page.items) as { id: string }[]).map((item) => item.id)).toEqual(
      wanted.slice(0, 5),
    );
    const empty: OrgScope = { people: [], teams: [], departments: [] };
    expect(await walk(empty, horizon, undefined)).toEqual([]);
  });
});
