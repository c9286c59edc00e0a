// node bench/tools/explainOrgPages.mjs [rows]   (after npm run build; default 100000 rows)
// What bounds a grouped page and a department page (the orgPages figure) in the database:
// seeds a bench database and its organisation as that figure does, then for a page at a
// cursor in the newer half prints PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of the statement the
// store sends, and times 1000 of each on one connection, as the service sends them (named
// prepared statements): the time per page end to end, Node's CPU, and the CPU of the
// PostgreSQL backend serving them (from /proc), beside the plain page and the keyset
// baseline's query. Last, how often each statement was planned for its values (custom) and
// how often it ran the plan kept for any values (generic).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import {
  OrganisationReader,
  ScopePositions,
  departmentScope,
  encodeCursor,
  findDepartment,
  listGroupRows,
  listPageJson,
  listScopePageJson,
} from '@feed/store';
import { seedOrganisation } from '../figures/orgPages.mjs';
import { createBenchDatabase } from '../lib/benchDatabase.mjs';
import { keysetQuery } from '../baselines/keysetQuery.mjs';
import { cleanup } from '../lib/cleanup.mjs';
import { seedFeedTable, seedPosition } from '../lib/seedFeedTable.mjs';

const rows = Number(process.argv[2] ?? 100_000);
const limit = 50;
const db = await createBenchDatabase('explain_org');
const client = new pg.Client({ connectionString: db.url });
try {
  await seedFeedTable(db.pool, rows);
  await seedOrganisation(db.pool);
  await client.connect();
  const { rows: visible } = await client.query('select feed_visible_horizon()::text as h');
  const horizon = visible[0].h;
  const { organisation } = await new OrganisationReader().read(client, horizon);
  const scope = departmentScope(organisation, findDepartment(organisation, 'Bench').id);
  const kept = new ScopePositions();
  const at = (i) => seedPosition(Math.round(rows / 2) + ((i * 7919) % Math.round(rows / 2)));
  // The grouped page reads from the cursor's own event on (its key says whether the first run
  // continues), limit + 2 rows (groupedPage.ts).
  const after = (p) => ({ xid: p.xid, seq: String(BigInt(p.seq) + 1n) });
  const cases = [
    ['plain page', (c, p) => listPageJson(c, { before: p, limit, horizon })],
    ['grouped page', (c, p) => listGroupRows(c, { before: after(p), limit: limit + 2, horizon })],
    ['department page', (c, p) => listScopePageJson(c, { scope, before: p, limit, horizon })],
    [
      'department page, kept positions',
      (c, p) => kept.page(c, { key: 'department', scope, organisation, before: p, limit, horizon }),
    ],
    ['keyset baseline', (c, p) => c.query(keysetQuery({ before: p, limit }))],
  ];
  for (const [name, read] of cases) {
    let sent;
    await read({ query: async (config) => ((sent = config), client.query(config)) }, at(0));
    const { rows: plan } = await client.query(
      `explain (analyze, buffers) ${sent.text}`,
      sent.values,
    );
    console.log(`\n== ${name}\n${plan.map((row) => row['QUERY PLAN']).join('\n')}`);
    await time(name, (i) => read(client, at(i)));
  }
  const { rows: statements } = await client.query(
    'select name, generic_plans, custom_plans from pg_prepared_statements order by name',
  );
  for (const s of statements)
    console.log(`-- ${s.name}: ${s.generic_plans} generic plans, ${s.custom_plans} custom`);
  console.log(`-- cursor of the first page timed: ${encodeCursor(at(0))}`);
} finally {
  await client.end().catch(() => {});
  await cleanup();
}

/** CPU seconds (user + system) of a process, from /proc; undefined where there is none. */
function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function time(name, read) {
  const { rows: me } = await client.query('select pg_backend_pid() as pid');
  for (let i = 0; i < 50; i += 1) await read(i);
  const count = 1000;
  const backend = cpuOf(me[0].pid);
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i += 1) await read(i);
  const wall = Number(process.hrtime.bigint() - started) / 1e6 / count;
  const used = process.cpuUsage(cpu);
  const node = (used.user + used.system) / 1000 / count;
  const pgCpu = backend === undefined ? undefined : ((cpuOf(me[0].pid) - backend) * 1000) / count;
  console.log(
    `-- ${name}: ${wall.toFixed(3)} ms per page end to end, Node CPU ${node.toFixed(3)} ms, ` +
      `PostgreSQL backend CPU ${pgCpu === undefined ? '—' : pgCpu.toFixed(2)} ms`,
  );
}
