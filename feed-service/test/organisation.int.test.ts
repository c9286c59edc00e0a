import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { FeedEvent } from '@feed/contracts';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { EventView } from '../src/eventView.js';
import { store } from './feedFixtures.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
const adminToken = 'admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${adminToken}` };

beforeAll(async () => {
  db = await createTestDatabase('service-organisation');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({
    config: loadConfig({ DATABASE_URL: db.url, SERVICE_ADMIN_TOKEN: adminToken }),
    pool,
  });
  await waitFor(
    'the app to be ready',
    async () => (await app.inject('/readyz')).statusCode === 200,
  );
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

let counter = 0;
function event(
  type: string,
  data: Record<string, unknown>,
  extra: Partial<FeedEvent> = {},
): FeedEvent {
  counter += 1;
  const subject = typeof data.employeeId === 'string' ? data.employeeId : undefined;
  return {
    specversion: '1.0',
    id: `org-${counter}`,
    source: 'hr',
    type,
    time: new Date(Date.UTC(2026, 0, 1, 9, 0, counter)).toISOString(),
    ...(subject === undefined ? {} : { subject }),
    data,
    ...extra,
  };
}
const team = (teamId: string, name: string, change: string, more: Record<string, unknown> = {}) =>
  event('team.structure_changed', { teamId, team: name, change, ...more });
const joins = (employeeId: string, teamId: string, more: Record<string, unknown> = {}) =>
  event('employee.registered', {
    employeeId,
    name: employeeId,
    team: teamId,
    teamId,
    position: 'Developer',
    ...more,
  });
const kudos = (actor: string) => event('kudos.sent', { text: `from ${actor}` }, { actor });

interface Page {
  items: EventView[];
  nextCursor: string | null;
  scope?: Record<string, unknown>;
}
async function page(query: string): Promise<Page> {
  const response = await app.inject(`/events?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
}
const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);
/** Newest first, as the feed lists them. */
const newestFirst = (...events: FeedEvent[]) => ids(events).reverse();

describe('GET /events?department=', () => {
  it('after department.renamed, returns the earlier events under the new name, and by the old', async () => {
    const created = team('t-sales', 'Field sales', 'created', {
      departmentId: 'd-sales',
      department: 'Sales',
    });
    const anna = joins('anna-d', 't-sales');
    const outside = joins('olga-d', 't-elsewhere');
    const renamed = event('department.renamed', {
      departmentId: 'd-sales',
      from: 'Sales',
      to: 'Revenue',
    });
    // A version 1 event naming the team and the department's former name only.
    const boris = event('employee.registered', {
      employeeId: 'boris-d',
      name: 'Boris',
      team: 'Field sales',
      position: 'Rep',
      department: 'Sales',
    });
    for (const e of [created, anna, outside, renamed, boris]) await store(pool, [e]);
    const expected = newestFirst(created, anna, renamed, boris);
    const byNew = await page('department=Revenue');
    expect(ids(byNew.items)).toEqual(expected);
    expect(byNew.scope).toEqual({
      department: { id: 'd-sales', name: 'Revenue', formerNames: ['Sales'] },
    });
    expect(ids((await page('department=sales')).items)).toEqual(expected);
    expect(ids((await page('department=d-sales')).items)).toEqual(expected);
  });
});

describe('GET /events?team=', () => {
  it('shows a team merged into another with both histories under the new one; hiding the merge undoes it', async () => {
    const a = team('t-a', 'Payments', 'created');
    const b = team('t-b', 'Billing', 'created');
    const anna = joins('anna-m', 't-a');
    const boris = joins('boris-m', 't-b');
    const annaKudos = kudos('anna-m');
    const merge = team('t-a', 'Payments', 'merged', { mergedIntoTeamId: 't-b' });
    const later = kudos('anna-m');
    for (const e of [a, b, anna, boris, annaKudos, merge, later]) await store(pool, [e]);
    const merged = await page('team=Billing');
    expect(ids(merged.items)).toEqual(newestFirst(a, b, anna, boris, annaKudos, merge, later));
    expect(merged.scope).toMatchObject({
      team: { id: 't-b', merged: [{ id: 't-a', name: 'Payments' }] },
    });
    // The merged team's own feed ends with the merge: its people are Billing's since.
    expect(ids((await page('team=t-a')).items)).toEqual(newestFirst(a, anna, annaKudos, merge));

    const hidden = await app.inject({
      method: 'DELETE',
      url: `/events/${merge.id}?source=hr`,
      headers: admin,
    });
    expect(hidden.statusCode, hidden.body).toBe(200);
    await waitFor('the organisation without the merge', async () => {
      const items = ids((await page('team=t-b')).items);
      return items.length === 2 && items;
    });
    expect(ids((await page('team=t-b')).items)).toEqual(newestFirst(b, boris));
    expect(ids((await page('team=t-a')).items)).toEqual(newestFirst(a, anna, annaKudos, later));
  });

  it('shows an employee who moved team in the new team from the move on', async () => {
    const x = team('t-x', 'Search', 'created');
    const y = team('t-y', 'Ranking', 'created');
    const joined = joins('mia-t', 't-x');
    const before = kudos('mia-t');
    const moved = event('employee.position_changed', {
      employeeId: 'mia-t',
      name: 'Mia',
      position: 'Lead',
      teamId: 't-y',
      team: 'Ranking',
    });
    const after = kudos('mia-t');
    for (const e of [x, y, joined, before, moved, after]) await store(pool, [e]);
    expect(ids((await page('team=t-y')).items)).toEqual(newestFirst(y, moved, after));
    expect(ids((await page('team=t-x')).items)).toEqual(newestFirst(x, joined, before));
  });

  it('seeds from a snapshot that is never an item, and erasure takes the person out', async () => {
    const snapshot = event(
      'organisation.snapshot',
      {
        departments: [{ departmentId: 'd-seed', name: 'Engineering' }],
        teams: [{ teamId: 't-seed', name: 'Platform', departmentId: 'd-seed' }],
        employees: [
          { employeeId: 'ivan-s', name: 'Ivan', teamId: 't-seed' },
          { employeeId: 'lena-s', name: 'Lena', teamId: 't-seed' },
        ],
      },
      { source: 'seed' },
    );
    const ivan = kudos('ivan-s');
    const lena = kudos('lena-s');
    await store(pool, [snapshot]);
    await store(pool, [ivan, lena]);
    expect((await page('source=seed')).items).toEqual([]);
    expect(ids((await page('department=Engineering')).items)).toEqual(newestFirst(ivan, lena));
    const erased = await app.inject({
      method: 'POST',
      url: '/admin/erasures',
      headers: admin,
      // Parked messages are erasureParked.int.test.ts's: this app has no broker of its own.
      payload: { person: 'lena-s', parked: false },
    });
    expect(erased.statusCode, erased.body).toBe(200);
    const { rows } = await pool.query<{ data: { employees: { employeeId: string }[] } }>(
      `select data from feed_org_snapshots where event_id = $1`,
      [snapshot.id],
    );
    expect(rows[0]!.data.employees.map((e) => e.employeeId)).toEqual(['ivan-s']);
    expect(ids((await page('team=Platform')).items)).toEqual([ivan.id]);
  });

  it('walks a team by cursor with no gap and no repeat while events arrive', async () => {
    await store(pool, [team('t-w', 'Walkers', 'created')]);
    const people = ['w1', 'w2', 'w3'];
    await store(
      pool,
      people.map((p) => joins(p, 't-w')),
    );
    const initial: FeedEvent[] = [];
    for (let i = 0; i < 30; i++) initial.push(kudos(people[i % 3]!), kudos('not-a-walker'));
    await store(pool, initial);
    let writing = true;
    const writer = (async () => {
      while (writing) await store(pool, [kudos('w1'), kudos('not-a-walker')]);
    })();
    const walked: EventView[] = [];
    let cursor: string | null = null;
    do {
      const result: Page = await page(
        `team=t-w&limit=4${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(result.items.length).toBeLessThanOrEqual(4);
      walked.push(...result.items);
      cursor = result.nextCursor;
    } while (cursor !== null);
    writing = false;
    await writer;
    expect(new Set(ids(walked)).size).toBe(walked.length);
    const mine = initial.filter((e) => e.actor !== 'not-a-walker');
    const walkedIds = new Set(ids(walked));
    expect(mine.filter((e) => !walkedIds.has(e.id))).toEqual([]);
    expect(walked.filter((e) => e.actor === 'not-a-walker')).toEqual([]);
    // 1 team event, 3 joins, 20 kudos, plus whatever w1 sent meanwhile.
    expect(walked.length).toBeGreaterThanOrEqual(24);
  });

  it('answers an unknown team or department with 404 and its code, both at once with 400', async () => {
    const unknown = await app.inject('/events?team=Nowhere');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'FEED_API_UNKNOWN_TEAM', param: 'team' });
    const department = await app.inject('/events?department=Nowhere');
    expect(department.json().error).toMatchObject({ code: 'FEED_API_UNKNOWN_DEPARTMENT' });
    const both = await app.inject('/events?team=a&department=b');
    expect(both.statusCode).toBe(400);
    expect(both.json().error).toMatchObject({ code: 'FEED_API_BAD_FILTER' });
  });
});
