// node bench/tools/headCpu.mjs [root ...]   (after npm run build in each root; default: this repo)
// What an answer of the head of the feed costs in CPU, on a machine others load: the rate of
// the apiHead figure moves with their load, the CPU an answer costs much less. Starts our
// service from each repository root given (another worktree's build, to compare two versions),
// on one seeded bench database, and the bare prepared route (baselines/preparedServer.mjs)
// sending the first service's bytes, alone and with each service's very header lines. Each is
// asked for the head in gzip and br at a fixed rate (RATE, default 3000 req/s: well below
// saturation, so every process answers as many requests per turn of its loop, and none waits
// on a core) for SECONDS (default 4) after a second of warm-up, in ROUNDS (default 3) taking
// turns; prints the medians of each server's CPU per answer (from /proc) and autocannon's own
// (in this process, parsing the answers).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createBenchDatabase } from '../lib/benchDatabase.mjs';
import { createBenchVhost } from '../lib/benchVhost.mjs';
import { cleanup } from '../lib/cleanup.mjs';
import { startServer } from '../lib/httpServers.mjs';
import { rawGet } from '../lib/rawGet.mjs';
import { seedFeedTable } from '../lib/seedFeedTable.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const roots =
  process.argv.length > 2 ? process.argv.slice(2).map((root) => resolve(root)) : [here('../..')];
const rate = Number(process.env.RATE ?? 3000);
const seconds = Number(process.env.SECONDS ?? 4);
const rounds = Number(process.env.ROUNDS ?? 3);
const path = '/events?limit=50';
const codings = ['gzip', 'br'];
// Node writes these itself (as in the apiHead figure).
const nodeHeaders = new Set(['date', 'connection', 'keep-alive', 'content-length']);
// /proc reports CPU time in clock ticks, 100 a second on Linux.
const tickUs = 10_000;

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A service's bodies and header lines in each coding, written where preparedServer reads them. */
async function recordAnswers(base, dir) {
  for (const coding of ['identity', ...codings]) {
    const answer = await rawGet(`${base}${path}`, { 'accept-encoding': coding });
    writeFileSync(join(dir, coding), answer.body);
    const chosen = Object.fromEntries(
      Object.entries(answer.headers).filter(([name]) => !nodeHeaders.has(name)),
    );
    writeFileSync(join(dir, `${coding}.headers.json`), JSON.stringify(chosen));
  }
  return Object.keys(JSON.parse(readFileSync(join(dir, 'gzip.headers.json'), 'utf8'))).length;
}

async function measure(server, coding) {
  const url = `${server.base}${path}`;
  const options = {
    url,
    connections: 10,
    overallRate: rate,
    headers: { 'accept-encoding': coding },
  };
  await autocannon({ ...options, duration: 1 });
  const ticks = cpuTicks(server.child.pid);
  const cpu = process.cpuUsage();
  const result = await autocannon({ ...options, duration: seconds });
  const client = process.cpuUsage(cpu);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: non-2xx or errors`);
  const answers = result.requests.total;
  return {
    server: ((cpuTicks(server.child.pid) - ticks) * tickUs) / answers,
    client: (client.user + client.system) / answers,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const dirs = [];
try {
  const db = await createBenchDatabase('head_cpu');
  const vhost = await createBenchVhost();
  await seedFeedTable(db.pool, 2000);
  const env = {
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    LOG_LEVEL: 'warn',
    SERVICE_RATE_LIMIT_MAX: '10000000',
  };
  const servers = [];
  const prepared = here('../baselines/preparedServer.mjs');
  for (const [i, root] of roots.entries()) {
    const label = roots.length === 1 ? 'ours' : `ours (${root})`;
    const ours = await startServer({
      label,
      script: join(root, 'feed-service/dist/main.js'),
      env,
      probePath: '/readyz',
    });
    const dir = mkdtempSync(join(tmpdir(), 'feed-head-cpu-'));
    dirs.push(dir);
    const lines = await recordAnswers(ours.base, dir);
    servers.push({ label, server: ours });
    if (i === 0)
      servers.push({
        label: 'bare prepared route',
        server: await startServer({
          label: 'bare',
          script: prepared,
          env: { BODY_DIR: dir },
          probePath: path,
        }),
      });
    servers.push({
      label: `prepared route with the ${lines} lines of ${label}`,
      server: await startServer({
        label: 'with headers',
        script: prepared,
        env: { BODY_DIR: dir, PLUGINS: 'headers' },
        probePath: path,
      }),
    });
  }
  const runs = new Map();
  for (let round = 0; round < rounds; round += 1)
    for (const coding of codings)
      for (const { label, server } of servers) {
        const key = `${coding}, ${label}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key).push(await measure(server, coding));
      }
  console.log(
    `CPU per answer of the head (page of 50), ${rate} req/s, medians of ${rounds} rounds:`,
  );
  for (const [key, list] of runs)
    console.log(
      `  ${key}: server ${median(list.map((run) => run.server)).toFixed(1)} µs, autocannon ${median(list.map((run) => run.client)).toFixed(1)} µs`,
    );
  for (const { server } of servers) await server.child.stop();
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await cleanup();
}
