// npm run bench [-- --quick] [-- --only=drain,api] [-- --out=dir]   (--only=settings: the worker's settings)
// Measures each figure of the feed beside its baseline, in the same run on the same machine,
// prints the table, and writes results.json and results.svg. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cleanup, cleanupOnSignals, interruptedBy } from './lib/cleanup.mjs';
import { createBenchDatabase } from './lib/benchDatabase.mjs';
import { createBenchVhost } from './lib/benchVhost.mjs';
import { drawChart } from './lib/drawChart.mjs';
import { figureRow } from './lib/figureRow.mjs';
import { describeMachine } from './lib/machine.mjs';
import { findOurParts } from './lib/ourParts.mjs';
import { parseParams } from './lib/params.mjs';
import { formatMarkdown, formatTable } from './lib/printTable.mjs';
import { measureDrainFigure } from './figures/drain.mjs';
import { measureEndToEndFigure } from './figures/endToEnd.mjs';
import { measureVisibilityFigure } from './figures/visibility.mjs';
import { measureSettingsFigure } from './figures/settings.mjs';
import { measurePublisherFigure } from './figures/publisher.mjs';
import { measureApiFigure } from './figures/api.mjs';
import { measureApiHeadFigure } from './figures/apiHead.mjs';
import { measureOrgPagesFigure } from './figures/orgPages.mjs';
import { measureStreamFigure } from './figures/stream.mjs';
import { measureMemoryFigure } from './figures/memory.mjs';

const figures = {
  drain: measureDrainFigure,
  endToEnd: measureEndToEndFigure,
  visibility: measureVisibilityFigure,
  publisher: measurePublisherFigure,
  api: measureApiFigure,
  apiHead: measureApiHeadFigure,
  orgPages: measureOrgPagesFigure,
  stream: measureStreamFigure,
  memory: measureMemoryFigure,
  settings: measureSettingsFigure,
};

const started = Date.now();
const log = (line) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const params = parseParams(process.argv.slice(2));
cleanupOnSignals();

try {
  const machine = await describeMachine();
  const parts = await findOurParts();
  console.log(`bench (${params.mode}): ${JSON.stringify(params.sizes)}`);
  console.log(`machine: ${JSON.stringify(machine)}`);
  console.log(`our parts available: ${JSON.stringify(parts)}`);
  const vhost = await createBenchVhost();
  const db = await createBenchDatabase(params.mode);
  const ctx = { params, parts, vhost, db, log, drainRss: {} };
  const rows = [];
  for (const name of params.only) {
    if (interruptedBy()) break;
    log(`${name} …`);
    try {
      rows.push(...(await figures[name](ctx)));
    } catch (error) {
      console.error(`bench: ${name} failed: ${error.stack ?? error}`);
      rows.push(
        figureRow({
          figure: `${name}: failed`,
          ours: null,
          baseline: null,
          unit: '',
          note: error.message.replace(/\s+/g, ' ').slice(0, 200),
        }),
      );
    }
  }
  if (interruptedBy()) throw new Error(`interrupted by ${interruptedBy()}; no results written`);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n${formatTable(rows)}\n`);
  const date = new Date().toISOString();
  mkdirSync(params.out, { recursive: true });
  writeFileSync(
    `${params.out}/results.json`,
    `${JSON.stringify({ date, mode: params.mode, seconds, machine, sizes: params.sizes, parts, rows }, null, 2)}\n`,
  );
  writeFileSync(
    `${params.out}/results.svg`,
    drawChart(rows, {
      title: `Feed benchmark (${params.mode}): ours beside baselines measured in the same run`,
      subtitle: `${date.slice(0, 10)} · ${machine.cpus} × ${machine.cpuModel} · ${machine.memoryGiB} GiB · node ${machine.node} · PostgreSQL ${machine.postgres} · RabbitMQ ${machine.rabbitmq}`,
    }),
  );
  writeFileSync(
    `${params.out}/results.md`,
    `Measured ${date} (${params.mode}, ${seconds} s) on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, PostgreSQL ${machine.postgres}, RabbitMQ ${machine.rabbitmq}; load average at start ${machine.loadAverageAtStart.join(' ')}.\n\n${formatMarkdown(rows)}\n`,
  );
  console.log(`wrote results.json, results.svg and results.md in ${params.out} (${seconds} s)`);
  if (rows.some((row) => row.figure.endsWith(': failed'))) process.exitCode = 1;
} catch (error) {
  console.error(`bench: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
