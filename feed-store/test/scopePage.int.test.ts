import type { FeedEvent } from '@feed/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  beginFeedWrite,
  comparePositions,
  createPool,
  encodeCursor,
  hideEvent,
  insertEvents,
  listEvents,
  listScopePageJson,
  Organisation,
  ScopePositions,
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

/** Rounds of events: of the scope's people, teams and department, and of outsiders. */
async function storeRounds(rounds: number) {
  const people = ['p-a', 'p-b', 'p-c'];
  for (let round = 0; round < rounds; round++)
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
}

/** The feed's shown events so far, newest first, and the current horizon. */
async function feedNow() {
  const all = await listEvents(pool, { source: 'scope-test', limit: 1000 });
  const { rows } = await pool.query<{ h: string }>('select feed_visible_horizon()::text as h');
  return { all, horizon: rows[0]!.h };
}

describe('listScopePageJson', () => {
  it('walks a scope by cursor with no gap and no repeat, merged or lateral, spans respected', async () => {
    await storeRounds(6);
    const { all, horizon } = await feedNow();
    const positions = all.map(at).reverse();
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

/** The organisation the scopes below come from: `applied` says when it learned more. */
const organisation = new Organisation();

/** Walks every page of the scope by cursor through kept positions. */
async function walkKept(kept: ScopePositions, key: string, scope: OrgScope, horizon: string) {
  const ids: string[] = [];
  let before: Position | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await kept.page(pool, { key, scope, organisation, before, limit: 3, horizon });
    if (page === undefined) return undefined;
    const items = JSON.parse(page.items) as { id: string; cursor: string }[];
    ids.push(...items.map((item) => item.id));
    if (page.next === null) return ids;
    expect(encodeCursor(page.next)).toBe(items.at(-1)!.cursor);
    before = page.next;
  }
  throw new Error('more than 100 pages');
}

describe('ScopePositions', () => {
  it('pages a scope as its scans do while events are hidden, added and the scope changes', async () => {
    await pool.query("delete from feed_events where source = 'scope-test'");
    await storeRounds(3);
    const start = { xid: '0', seq: '0' };
    const scope: OrgScope = {
      people: [
        { id: 'p-a', from: start, to: null },
        { id: 'p-b', from: start, to: null },
      ],
      teams: [{ id: 't-1', from: start, to: null }],
      departments: ['d-1'],
    };
    const kept = new ScopePositions();
    const check = async (of: OrgScope, horizon: string) => {
      const { all } = await feedNow();
      const wanted = expected(all, of);
      expect(await walkKept(kept, 'd-1', of, horizon)).toEqual(wanted);
      return wanted;
    };
    let { horizon } = await feedNow();
    const first = await check(scope, horizon);
    expect(first.length).toBeGreaterThan(10);

    // A hidden event of the scope leaves its pages though its position is still kept.
    await hideEvent(pool, { source: 'scope-test', id: first[4]! });
    const hidden = await check(scope, horizon);
    expect(hidden).not.toContain(first[4]);

    // Events written since: a walk from the new horizon reads what lies above the kept one.
    await storeRounds(2);
    ({ horizon } = await feedNow());
    const grown = await check(scope, horizon);
    expect(grown.length).toBeGreaterThan(hidden.length);
    // A walk below the old horizon still sees all of what was there.
    expect(await walkKept(kept, 'd-1', scope, horizon)).toEqual(grown);

    // The organisation learned of another person: the scope is read again from the start.
    organisation.applied += 1;
    const wider = { ...scope, people: [...scope.people, { id: 'p-c', from: start, to: null }] };
    expect((await check(wider, horizon)).length).toBeGreaterThan(grown.length);

    // Past the bound the scope is not kept: its pages are left to its scans.
    const small = new ScopePositions(5);
    const page = await small.page(pool, { key: 'd-1', scope, organisation, limit: 3, horizon });
    expect(page).toBeUndefined();
  });

  it('drops the scope used least recently to stay under its bound, and reads it again', async () => {
    await pool.query("delete from feed_events where source = 'scope-test'");
    await storeRounds(3);
    const { all, horizon } = await feedNow();
    const start = { xid: '0', seq: '0' };
    const of = (id: string): OrgScope => ({
      people: [{ id, from: start, to: null }],
      teams: [],
      departments: [],
    });
    const one = expected(all, of('p-a'));
    const other = expected(all, of('p-b'));
    const kept = new ScopePositions(Math.max(one.length, other.length) + 1);
    for (let turn = 0; turn < 3; turn++) {
      expect(await walkKept(kept, 'a', of('p-a'), horizon)).toEqual(one);
      expect(await walkKept(kept, 'b', of('p-b'), horizon)).toEqual(other);
    }
  });
});
