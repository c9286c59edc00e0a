import { fileURLToPath } from 'node:url';
import { load, ourServiceEnv, withServer } from '../lib/apiLoad.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { profileArgs, serviceMain } from '../lib/ourParts.mjs';
import { seedFeedTable } from '../lib/seedFeedTable.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** People of the bench's department: actors of the seeded table, one row in 700 each. */
const DEPARTMENT_PEOPLE = 20;

/**
 * Seeds the organisation the department page reads: one snapshot, before every seeded row
 * (transaction id 1), placing person-0 … person-19 (the seeded rows' actors) in two teams of
 * the department "Bench".
 */
export async function seedOrganisation(pool) {
  const employees = Array.from({ length: DEPARTMENT_PEOPLE }, (_, i) => ({
    employeeId: `person-${i}`,
    name: `Person ${i}`,
    teamId: `bench-team-${i % 2}`,
  }));
  await pool.query(
    `insert into feed_org_snapshots (xid, seq, source, event_id, time, data)
     values ('1', 0, 'bench', 'bench-org', now(), $1)`,
    [
      JSON.stringify({
        departments: [{ departmentId: 'bench-d', name: 'Bench' }],
        teams: [0, 1].map((t) => ({
          teamId: `bench-team-${t}`,
          name: `Team ${t}`,
          departmentId: 'bench-d',
        })),
        employees,
      }),
    ],
  );
}

/**
 * Grouped and department pages (issue 19): `group=similar` and `department=` pages at random
 * cursors in the newer half of the seeded table, each beside the plain keyset route reading
 * pages at random positions of the same range, loaded alike by autocannon.
 */
export async function measureOrgPagesFigure(ctx) {
  const { sizes } = ctx.params;
  const rows = sizes.tableRows;
  await seedFeedTable(ctx.db.pool, rows);
  await seedOrganisation(ctx.db.pool);
  const limit = sizes.pageSize;
  const range = { min: Math.round(rows / 2), max: rows };
  const keyset = await withServer(
    {
      label: 'keyset route',
      script: here('../baselines/keysetServer.mjs'),
      env: { DATABASE_URL: ctx.db.url },
      probePath: `/events?limit=${limit}`,
    },
    async (base) => ({
      ...(await load(ctx, base, {
        pages: { template: `/events?limit=${limit}&before={position}`, ...range },
      })),
      top: await load(ctx, `${base}/events?limit=${limit}`),
    }),
  );
  let ours = null;
  if (ctx.parts.service) {
    ours = await withServer(
      {
        label: 'feed-service',
        script: serviceMain,
        nodeArgs: profileArgs('service'),
        env: ourServiceEnv(ctx),
        // Answered once the organisation is folded (the seeded table's organisation events).
        probePath: `/events?limit=${limit}&department=Bench`,
      },
      async (base) => ({
        // What the portal asks first: the grouped page from the top, the same URL each time.
        groupedTop: await load(ctx, `${base}/events?limit=${limit}&group=similar`),
        grouped: await load(ctx, base, {
          pages: { template: `/events?limit=${limit}&group=similar&cursor={cursor}`, ...range },
        }),
        department: await load(ctx, base, {
          pages: { template: `/events?limit=${limit}&department=Bench&cursor={cursor}`, ...range },
        }),
      }),
    );
  }
  const note = ctx.parts.service ? undefined : 'feed-service not built yet';
  const p99s = (o) =>
    `p99 ours ${o ? formatNumber(o.p99) : '—'} ms, baseline ${formatNumber(keyset.p99)} ms`;
  return [
    figureRow({
      figure: 'API grouped page vs keyset route',
      ours: ours?.grouped.rps,
      baseline: keyset.rps,
      baselineName: `group=similar, ${limit} items at random cursors in the newer half; ${p99s(ours?.grouped)}`,
      unit: 'req/s',
      target: { ratioAtLeast: 1.0 },
      note,
    }),
    figureRow({
      figure: 'API grouped page from the top vs keyset route',
      ours: ours?.groupedTop.rps,
      baseline: keyset.top.rps,
      baselineName: `group=similar, ${limit} items, the same URL each time (the portal's first page), kept in memory until an event comes or changes, against the keyset route's page from the top; p99 ours ${ours ? formatNumber(ours.groupedTop.p99) : '—'} ms, baseline ${formatNumber(keyset.top.p99)} ms`,
      unit: 'req/s',
      note,
    }),
    figureRow({
      figure: 'API department page vs keyset route',
      ours: ours?.department.rps,
      baseline: keyset.rps,
      baselineName: `department of ${DEPARTMENT_PEOPLE} people (1 row in 35), random cursors; ${p99s(ours?.department)}`,
      unit: 'req/s',
      target: { ratioAtLeast: 1.0 },
      note,
    }),
  ];
}
