import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupKey, groupSummary, planPage, type GroupFields } from '../src/grouping.js';

const row = (team: string, i: number): GroupFields & { i: number } => ({
  i,
  type: 'employee.registered',
  source: 's',
  teamId: team,
  team,
  change: null,
  departmentId: null,
  name: `P${i}`,
  from: null,
  to: null,
});

/** Walks pages over rows (newest first) as the route does: read more until a plan is made. */
function walk(rows: ReturnType<typeof row>[], limit: number, budget: number) {
  const pages: { key: string; ids: number[]; continued: boolean }[][] = [];
  let start = 0;
  let contextKey: string | undefined;
  for (;;) {
    let read = Math.min(budget, limit * 2 + 1);
    let plan;
    for (;;) {
      const slice = rows.slice(start, start + read);
      plan = planPage(slice, groupKey, {
        limit,
        ended: start + read >= rows.length,
        budget,
        contextKey,
      });
      if (plan !== undefined) break;
      read = Math.min(budget, read * 4);
    }
    pages.push(
      plan.runs.map((r) => ({ key: r.key, ids: r.rows.map((x) => x.i), continued: r.continued })),
    );
    const consumed = plan.runs.reduce((n, r) => n + r.rows.length, 0);
    if (!plan.more) return { pages, consumed: start + consumed };
    start += consumed;
    contextKey = groupKey(rows[start - 1]!);
  }
}

describe('planPage', () => {
  it('pages cover every row once, in order, with at most limit items, alike runs merged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 200 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 40 }),
        (teams, limit, budget) => {
          const rows = teams.map((t, i) => row(t, i));
          const { pages } = walk(rows, limit, budget);
          const ids = pages.flatMap((p) => p.flatMap((item) => item.ids));
          expect(ids).toEqual(rows.map((r) => r.i));
          for (const page of pages) {
            expect(page.length).toBeLessThanOrEqual(limit);
            for (let k = 1; k < page.length; k++) expect(page[k]!.key).not.toBe(page[k - 1]!.key);
          }
          // A page's first item continues the previous page's last only when alike.
          for (let p = 1; p < pages.length; p++) {
            const first = pages[p]![0];
            if (first === undefined) continue;
            expect(first.continued).toBe(first.key === pages[p - 1]!.at(-1)!.key);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('summarises groups in words', () => {
    const run = (rows: GroupFields[], continued = false) => ({ key: '', rows, continued });
    expect(groupSummary(run([row('Platform', 1), row('Platform', 2)]))).toBe(
      'P1 and P2 joined Platform',
    );
    expect(groupSummary(run([row('Platform', 1), row('Platform', 2)], true))).toBe(
      'and 2 more joined Platform',
    );
    const renamed = (from: string, to: string): GroupFields => ({
      ...row('', 0),
      type: 'department.renamed',
      departmentId: 'd',
      from,
      to,
    });
    expect(groupSummary(run([renamed('Revenue', 'Growth'), renamed('Sales', 'Revenue')]))).toBe(
      'Sales was renamed Revenue, then Growth',
    );
    const team = (change: string): GroupFields => ({
      ...row('', 0),
      type: 'team.structure_changed',
      change,
    });
    expect(groupSummary(run([team('renamed'), team('renamed'), team('renamed')]))).toBe(
      '3 teams were renamed',
    );
  });
});
