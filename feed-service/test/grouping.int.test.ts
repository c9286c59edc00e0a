import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { FeedEvent } from '@feed/contracts';
import { createPool, listGroupRows, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { EventView } from '../src/eventView.js';
import { groupScanLimit } from '../src/groupedPage.js';
import { groupFieldsOf, groupKey } from '../src/grouping.js';
import { reaction, store } from './feedFixtures.js';
import { metricValue } from './metricValue.js';
import { openStream } from './sseClient.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase('service-grouping');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
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
function joined(source: string, team: string, name = `Person ${counter + 1}`): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `g-${counter}`,
    source,
    type: 'employee.registered',
    time: new Date(Date.UTC(2026, 0, 1, 9, 0, counter % 3600)).toISOString(),
    subject: `p-${counter}`,
    data: { employeeId: `p-${counter}`, name, team, teamId: team, position: 'Developer' },
  };
}
function renamed(source: string, departmentId: string, from: string, to: string): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `g-${counter}`,
    source,
    type: 'department.renamed',
    time: new Date(Date.UTC(2026, 0, 1, 9, 0, counter % 3600)).toISOString(),
    data: { departmentId, from, to },
  };
}

interface Group {
  kind: 'group';
  key: string;
  count: number;
  continued: boolean;
  summary: string;
  more: number;
  members: EventView[];
  membersHref: string;
  cursor: string;
}
type Item = (EventView & { kind?: undefined; group: string }) | Group;
interface Page {
  items: Item[];
  nextCursor: string | null;
}
async function get<T>(url: string): Promise<T> {
  const response = await app.inject(url);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

/** The events of a group, through its link (paged when it has more than 100). */
async function expand(group: Group): Promise<EventView[]> {
  const events: EventView[] = [];
  let url: string | null = group.membersHref;
  while (url !== null && events.length < group.count) {
    const page: Page = await get<Page>(url);
    events.push(...(page.items as EventView[]));
    const params = new URLSearchParams(url.split('?')[1]);
    params.set('cursor', page.nextCursor ?? '');
    url = page.nextCursor === null ? null : `/events?${params.toString()}`;
  }
  return events.slice(0, group.count);
}

/** Every grouped page of a query by cursor; each item expanded to its events. */
async function walk(query: string, limit: number) {
  const pages: Item[][] = [];
  const events: EventView[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await get<Page>(
      `/events?${query}&group=similar&limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items);
    for (const item of page.items)
      if (item.kind === 'group') {
        const members = await expand(item);
        expect(members.slice(0, 3)).toEqual(item.members.map(({ ...m }) => m));
        events.push(...members);
      } else events.push(item);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { pages, events };
}

describe('GET /events?group=similar', () => {
  it('collapses contiguous runs into one item each, with a summary, a few members and a link to all', async () => {
    const source = 'g-runs';
    const events = [
      joined(source, 'Platform', 'Anna'),
      joined(source, 'Platform', 'Oleg'),
      ...Array.from({ length: 10 }, () => joined(source, 'Platform')),
      renamed(source, 'd-1', 'Sales', 'Revenue'),
      renamed(source, 'd-1', 'Revenue', 'Growth'),
      joined(source, 'Search', 'Mia'),
    ];
    await store(pool, events);
    const page = await get<Page>(`/events?source=${source}&group=similar`);
    expect(page.items.map((i) => (i.kind === 'group' ? i.summary : i.id))).toEqual([
      events.at(-1)!.id,
      'Sales was renamed Revenue, then Growth',
      'Person 12 and Person 11 and 10 others joined Platform'.replace(
        ' and Person 11',
        ', Person 11',
      ),
    ]);
    const platform = page.items[2] as Group;
    expect(platform).toMatchObject({
      count: 12,
      more: 9,
      continued: false,
      key: 'joined:Platform',
    });
    expect(platform.members).toHaveLength(3);
    expect((await expand(platform)).map((e) => e.id)).toEqual(
      events
        .slice(0, 12)
        .map((e) => e.id)
        .reverse(),
    );
    expect(page.nextCursor).toBeNull();
  });

  it('counts items in limit, and continues a run cut by the page boundary as "and N more"', async () => {
    const source = 'g-bulk';
    const bulk = Array.from({ length: groupScanLimit + 40 }, () => joined(source, 'Imported'));
    await store(pool, bulk);
    const first = await get<Page>(`/events?source=${source}&group=similar&limit=5`);
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({
      kind: 'group',
      count: groupScanLimit,
      continued: false,
    });
    const second = await get<Page>(
      `/events?source=${source}&group=similar&limit=5&cursor=${first.nextCursor}`,
    );
    expect(second.items).toHaveLength(1);
    expect(second.items[0]).toMatchObject({ kind: 'group', count: 40, continued: true });
    expect((second.items[0] as Group).summary).toBe('and 40 more joined Imported');
    expect(second.nextCursor).toBeNull();
  });

  it('grouped pages walked by cursor cover every event exactly once while events arrive', async () => {
    const source = 'g-walk';
    // Runs of 1 to 7 alike events, in turn across three teams and renames.
    const initial: FeedEvent[] = [];
    const teams = ['A', 'B', 'C'];
    for (let run = 0; run < 40; run++)
      for (let i = 0; i <= (run * 5) % 7; i++)
        initial.push(
          run % 4 === 3
            ? renamed(source, `d-${run % 2}`, `n${i}`, `n${i + 1}`)
            : joined(source, teams[run % 3]!),
        );
    await store(pool, initial);
    let writing = true;
    const arrived: FeedEvent[] = [];
    const writer = (async () => {
      while (writing) {
        const batch = [joined(source, 'A'), joined(source, 'A'), renamed(source, 'd-0', 'x', 'y')];
        await store(pool, batch);
        arrived.push(...batch);
      }
    })();
    const { pages, events } = await walk(`source=${source}`, 3);
    writing = false;
    await writer;
    expect(arrived.length).toBeGreaterThan(0);
    const walked = events.map((e) => e.id);
    expect(new Set(walked).size).toBe(walked.length);
    const seen = new Set(walked);
    expect(initial.filter((e) => !seen.has(e.id))).toEqual([]);
    const known = new Set([...initial, ...arrived].map((e) => e.id));
    expect(walked.filter((id) => !known.has(id))).toEqual([]);
    // Newest first throughout, and no two neighbouring items on a page are alike.
    expect(walked.slice(-initial.length)).toEqual(initial.map((e) => e.id).reverse());
    for (const items of pages)
      for (let i = 1; i < items.length; i++) {
        const key = (item: Item) => (item.kind === 'group' ? item.key : item.group);
        expect(key(items[i]!)).not.toBe(key(items[i - 1]!));
      }
  });

  it('keeps a grouped page in memory through changes of events it was not made from', async () => {
    const source = 'g-kept';
    // Newest first: Cleo alone, then Bea's and Ben's group, then Ada's and Al's.
    const events = [
      joined(source, 'A', 'Ada'),
      joined(source, 'A', 'Al'),
      renamed(source, 'd-k', 'Sales', 'Revenue'),
      joined(source, 'B', 'Bea'),
      joined(source, 'B', 'Ben'),
      renamed(source, 'd-k', 'Revenue', 'Growth'),
      joined(source, 'C', 'Cleo'),
    ];
    await store(pool, events);
    // Once the live feed has handed them over (the head shows the newest), no page read from
    // here is dropped for being above new events.
    await waitFor('the head to show the events', async () => {
      const head = await get<Page>('/events?limit=1');
      return head.items[0]?.kind !== 'group' && head.items[0]?.id === events.at(-1)!.id;
    });
    const hits = () => metricValue(app, 'feed_page_cache_hits_total');
    const top = `/events?source=${source}&group=similar&limit=2`;
    const first = await get<Page>(top);
    const below = `${top}&cursor=${first.nextCursor}`;
    const older = await app.inject(below);
    const olderPage = older.json<Page>();
    expect(olderPage.items.map((i) => (i.kind === 'group' ? i.key : i.id))).toEqual([
      'joined:B',
      events[2]!.id,
    ]);
    const olderTag = older.headers.etag as string;

    // A reaction to Cleo's event, on the first page only.
    const cleo = events[6]!;
    await store(pool, [reaction({ source, id: cleo.id }, 'fire', 'u-g')]);
    await waitFor('the first page counts the reaction', async () => {
      const page = await get<Page>(top);
      return page.items[0]?.kind !== 'group' && page.items[0]?.reactions.fire === 1;
    });
    const before = await hits();
    const kept = await app.inject({ url: below, headers: { 'if-none-match': olderTag } });
    expect(kept.statusCode).toBe(304);
    expect(await hits()).toBe(before + 1);

    // A reaction to Ben, a member of its group: the page changes.
    const ben = events[4]!;
    await store(pool, [reaction({ source, id: ben.id }, 'fire', 'u-g')]);
    const changed = await waitFor('the grouped page counts the reaction', async () => {
      const response = await app.inject({ url: below, headers: { 'if-none-match': olderTag } });
      return response.statusCode === 200 ? response : false;
    });
    const group = changed.json<Page>().items[0] as Group;
    expect(group.members.find((m) => m.id === ben.id)?.reactions).toEqual({ fire: 1 });
  });

  it('groups a team page too, and a new event joins its group live on the stream and the page', async () => {
    const source = 'g-live';
    await store(pool, [joined(source, 'Live', 'Ada'), joined(source, 'Live', 'Bob')]);
    const before = await get<Page>(`/events?team=Live&group=similar`);
    expect(before.items).toEqual([expect.objectContaining({ kind: 'group', count: 2 })]);
    const top = before.items[0] as Group;
    // From the page's newest event: the live feed may not have read that far yet, and a
    // stream opened at its own position would first send the two events the page holds.
    const after = top.members[0]!.cursor;
    const client = await openStream(
      `${base}/events/stream?source=${source}&group=similar&after=${after}`,
    );
    try {
      const late = joined(source, 'Live', 'Cleo');
      await store(pool, [late]);
      const [frame] = await waitFor('the new event on the stream', () => {
        const got = client.events() as unknown as (EventView & { group: string })[];
        return got.length > 0 && got;
      });
      expect(frame).toMatchObject({ id: late.id, group: top.key });
      const now = await get<Page>(`/events?team=Live&group=similar`);
      expect(now.items).toHaveLength(1);
      expect(now.items[0]).toMatchObject({ kind: 'group', key: top.key, count: 3 });
      expect((now.items[0] as Group).summary).toBe('Cleo, Bob and 1 other joined Live');
    } finally {
      client.close();
    }
  });
});

describe('the group key computed by PostgreSQL (listGroupRows)', () => {
  it('is groupKey of the event, whatever its data holds', async () => {
    const source = 'g-keys';
    const shapes: [string, unknown][] = [
      ['employee.registered', { teamId: 't-1', team: 'Platform' }],
      ['employee.registered', { team: 'Platform' }],
      ['employee.registered', { teamId: 7, team: 'Numbered' }],
      ['employee.registered', { teamId: null, team: null }],
      ['employee.registered', {}],
      ['employee.position_changed', { teamId: 't-2' }],
      ['employee.position_changed', { team: { name: 'object' } }],
      ['team.structure_changed', { teamId: 't-1', change: 'renamed' }],
      ['team.structure_changed', { teamId: 't-1', change: 3 }],
      ['department.renamed', { departmentId: 'd-1', from: 'A', to: 'B' }],
      ['department.renamed', { from: 'A', to: 'B' }],
      ['kudos.given', { teamId: 't-1' }],
      ['kudos.given', ['an', 'array']],
      ['kudos.given', 'a string'],
    ];
    const events: FeedEvent[] = shapes.map(([type, data], i) => ({
      specversion: '1.0',
      id: `key-${i}`,
      source,
      type,
      time: new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(),
      data,
    }));
    await store(pool, events);
    const rows = await listGroupRows(pool, { source, limit: 100 });
    expect(rows).toHaveLength(shapes.length);
    for (const row of rows) {
      const event = JSON.parse(row.item) as FeedEvent;
      expect({ id: event.id, key: row.key }).toEqual({
        id: event.id,
        key: groupKey(groupFieldsOf(event)),
      });
    }
  });
});
