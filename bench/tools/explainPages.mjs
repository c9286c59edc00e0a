// node bench/tools/explainPages.mjs [rows]   (after npm run build; default 100000 rows)
// What bounds a page read from the database: seeds a bench database as the API figure does,
// then for a deep page and a filtered page prints PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of
// the query the service sends (the store's listPageJson, with the current horizon and with a
// horizon already known) and of the keyset baseline's query, and times 300 of each from this
// process: the database's time, and the time until the page is a JSON string in Node.
import { encodeCursor, listPageJson } from '@feed/store';
import { createBenchDatabase } from '../lib/benchDatabase.mjs';
import { keysetQuery } from '../baselines/keysetQuery.mjs';
import { cleanup } from '../lib/cleanup.mjs';
import { seedFeedTable, seedPosition, seedTypes } from '../lib/seedFeedTable.mjs';

const rows = Number(process.argv[2] ?? 100_000);
const limit = 50;
const db = await createBenchDatabase('explain');
try {
  await seedFeedTable(db.pool, rows);
  const { rows: visible } = await db.pool.query('select feed_visible_horizon()::text as h');
  const known = visible[0].h;
  const deep = seedPosition(Math.round(rows * 0.1));
  const filtered = seedPosition(Math.round(rows * 0.75));
  const cases = [
    ['deep, current horizon', { before: deep, limit }],
    ['deep, known horizon', { before: deep, limit, horizon: known }],
    ['filtered, current horizon', { before: filtered, limit, types: [seedTypes[1]] }],
    ['filtered, known horizon', { before: filtered, limit, types: [seedTypes[1]], horizon: known }],
  ];
  for (const [name, options] of cases) {
    // The statement listPageJson sends, caught on its way to PostgreSQL.
    let sent;
    await listPageJson(
      {
        query: async (config) => {
          sent = config;
          return db.pool.query(config);
        },
      },
      options,
    );
    await explain(name, sent.text, sent.values);
    await time(name, () => listPageJson(db.pool, options));
  }
  for (const [name, position, type] of [
    ['baseline deep', deep, undefined],
    ['baseline filtered', filtered, seedTypes[1]],
  ]) {
    const { text, values } = keysetQuery({ before: position, type, limit });
    await explain(name, text, values);
    await time(name, async () => {
      const result = await db.pool.query(text, values);
      return JSON.stringify(
        result.rows.map((row) => ({
          ...row,
          cursor: encodeCursor(row),
          time: row.time.toISOString(),
        })),
      );
    });
  }
} finally {
  await cleanup();
}

async function explain(name, text, values) {
  const { rows: plan } = await db.pool.query(`explain (analyze, buffers) ${text}`, values);
  console.log(`\n== ${name}\n${plan.map((row) => row['QUERY PLAN']).join('\n')}`);
}

async function time(name, read) {
  for (let i = 0; i < 30; i += 1) await read();
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const count = 300;
  for (let i = 0; i < count; i += 1) await read();
  const wall = Number(process.hrtime.bigint() - started) / 1e6 / count;
  const used = process.cpuUsage(cpu);
  const node = (used.user + used.system) / 1000 / count;
  console.log(
    `-- ${name}: ${wall.toFixed(3)} ms per page end to end, Node CPU ${node.toFixed(3)} ms`,
  );
}
