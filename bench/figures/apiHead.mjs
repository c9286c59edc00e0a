import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, ourServiceEnv } from '../lib/apiLoad.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { startServer } from '../lib/httpServers.mjs';
import { profileArgs, serviceMain } from '../lib/ourParts.mjs';
import { rawGet } from '../lib/rawGet.mjs';
import { seedFeedTable } from '../lib/seedFeedTable.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const codings = ['identity', 'gzip', 'br'];
const compressed = ['gzip', 'br'];
const nodeHeaders = new Set(['date', 'connection', 'keep-alive', 'content-length']);

/**
 * The head of the feed (`/events?limit=N`, served from memory) against its limit: a bare
 * Fastify route sending the very bytes our service sent, from buffers prepared at start. Once
 * without Accept-Encoding, once asking for gzip, once for br, with the bytes of each page.
 * Our bodies become the baseline's. All three servers stay up (idle but for the live feed's
 * look each second) while the runs take turns, ours then the baseline's for each coding, in
 * `apiRounds` rounds: each row is the median of its rounds, so a burst of load on a shared
 * machine lands on both sides. Returns the rows and our identity run (for the keyset row).
 */
export async function measureHeadFigure(ctx, limit) {
  const path = `/events?limit=${limit}`;
  if (!ctx.parts.service)
    return { rows: codings.map((coding) => headRow(coding, null, null, null)), identity: null };
  const dir = mkdtempSync(join(tmpdir(), 'feed-bench-head-'));
  const stops = [];
  try {
    const ours = await startServer({
      label: 'feed-service',
      script: serviceMain,
      nodeArgs: profileArgs('service'),
      env: ourServiceEnv(ctx),
      // Ready once the live feed listens: from then on the head is served from memory.
      probePath: '/readyz',
    });
    stops.push(() => ours.child.stop());
    const bytes = {};
    const headerLines = {};
    for (const coding of codings) {
      const answer = await rawGet(`${ours.base}${path}`, { 'accept-encoding': coding });
      const sent = answer.headers['content-encoding'] ?? 'identity';
      if (answer.status !== 200 || sent !== coding)
        throw new Error(`head asked for ${coding}: ${answer.status}, sent ${sent}`);
      writeFileSync(join(dir, coding), answer.body);
      // Node writes the others itself (Date, Connection, Keep-Alive, Content-Length).
      const chosen = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => !nodeHeaders.has(name)),
      );
      writeFileSync(join(dir, `${coding}.headers.json`), JSON.stringify(chosen));
      headerLines[coding] = Object.keys(chosen).length;
      bytes[coding] = answer.body.length;
    }
    const prepared = await startServer({
      label: 'prepared buffer route',
      script: here('../baselines/preparedServer.mjs'),
      env: { BODY_DIR: dir },
      probePath: path,
    });
    stops.push(() => prepared.child.stop());
    // The same route behind the stock plugins for what every answer of ours passes.
    const behind = await startServer({
      label: 'prepared buffer route behind helmet, cors, rate-limit',
      script: here('../baselines/preparedServer.mjs'),
      env: { BODY_DIR: dir, PLUGINS: 'security' },
      probePath: path,
    });
    stops.push(() => behind.child.stop());
    // The same route sending our very headers with each body: what those lines cost on the
    // same cores (the server writes them, autocannon parses them).
    const same = await startServer({
      label: 'prepared buffer route with our headers',
      script: here('../baselines/preparedServer.mjs'),
      env: { BODY_DIR: dir, PLUGINS: 'headers' },
      probePath: path,
    });
    stops.push(() => same.child.stop());
    const runs = { ours: {}, prepared: {}, behind: [], same: {} };
    for (let round = 0; round < ctx.params.sizes.apiRounds; round += 1) {
      for (const coding of codings) {
        const headers = { 'accept-encoding': coding };
        (runs.ours[coding] ??= []).push(
          await load(ctx, `${ours.base}${path}`, { headers, serverPid: ours.child.pid }),
        );
        (runs.prepared[coding] ??= []).push(
          await load(ctx, `${prepared.base}${path}`, { headers, serverPid: prepared.child.pid }),
        );
      }
      runs.behind.push(await load(ctx, `${behind.base}${path}`));
      for (const coding of compressed) {
        const headers = { 'accept-encoding': coding };
        (runs.same[coding] ??= []).push(
          await load(ctx, `${same.base}${path}`, { headers, serverPid: same.child.pid }),
        );
      }
    }
    const mid = (list) => medianRun(list);
    const rows = codings.map((coding) =>
      headRow(coding, mid(runs.ours[coding]), mid(runs.prepared[coding]), bytes[coding], limit),
    );
    const bare = mid(runs.prepared.identity);
    const plugins = mid(runs.behind);
    rows.push(
      figureRow({
        figure: 'API prepared buffer behind helmet, cors, rate-limit vs bare',
        ours: plugins.rps,
        baseline: bare.rps,
        baselineName: `the bare prepared route above, identity; p99 ${formatNumber(plugins.p99)} ms against ${formatNumber(bare.p99)} ms`,
        unit: 'req/s',
        note: 'the stock plugins for what ours does on every answer (helmet, @fastify/cors, @fastify/rate-limit), for scale',
      }),
      figureRow({
        figure: 'API head of feed vs prepared buffer behind the same plugins',
        ours: mid(runs.ours.identity).rps,
        baseline: plugins.rps,
        baselineName:
          "the prepared route behind helmet's headers, @fastify/cors, @fastify/rate-limit",
        unit: 'req/s',
      }),
    );
    for (const coding of compressed) {
      const withOurs = mid(runs.same[coding]);
      const alone = mid(runs.prepared[coding]);
      rows.push(
        figureRow({
          figure: `API prepared buffer with our headers, ${coding}, vs bare`,
          ours: withOurs.rps,
          baseline: alone.rps,
          baselineName: `the bare prepared route above, ${coding}; p99 ${formatNumber(withOurs.p99)} ms against ${formatNumber(alone.p99)} ms`,
          unit: 'req/s',
          note: `the same bytes with the ${headerLines[coding]} headers our service chose to send with them (Node adds 4 to each answer): about the most our head can reach with those headers`,
        }),
        figureRow({
          figure: `API head of feed, ${coding}, vs prepared buffer with our headers`,
          ours: mid(runs.ours[coding]).rps,
          baseline: withOurs.rps,
          baselineName: 'the prepared route sending the same bytes and headers as ours',
          unit: 'req/s',
        }),
      );
    }
    for (const coding of compressed) {
      const cpu = (list, side) => median(list.map((run) => run[`${side}CpuUs`]));
      const [ourRuns, bareRuns, sameRuns] = [runs.ours, runs.prepared, runs.same].map(
        (side) => side[coding],
      );
      rows.push(
        figureRow({
          figure: `API head of feed, ${coding}, server CPU per answer vs prepared buffer`,
          ours: cpu(ourRuns, 'server'),
          baseline: cpu(bareRuns, 'server'),
          baselineName: `the bare prepared route, ${coding}; with our headers ${formatNumber(cpu(sameRuns, 'server'))} µs`,
          unit: 'µs',
          note: `what a rate on shared cores hides: each server's CPU per answer, warm-up included; autocannon's own per answer: ours ${formatNumber(cpu(ourRuns, 'client'))} µs, bare ${formatNumber(cpu(bareRuns, 'client'))} µs, with our headers ${formatNumber(cpu(sameRuns, 'client'))} µs`,
        }),
      );
    }
    for (const coding of compressed)
      rows.push(
        figureRow({
          figure: `API head of feed, bytes per page, ${coding} vs identity`,
          ours: bytes[coding],
          baseline: bytes.identity,
          baselineName: `the same page of ${limit} uncompressed`,
          unit: 'bytes',
        }),
      );
    return { rows, identity: mid(runs.ours.identity) };
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The run of median rate among rounds (its p99 goes with it). */
function medianRun(list) {
  const sorted = [...list].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function headRow(coding, ours, prepared, bytes, limit) {
  const p99s =
    ours && prepared
      ? `; p99 ours ${formatNumber(ours.p99)} ms, baseline ${formatNumber(prepared.p99)} ms`
      : '';
  return figureRow({
    figure:
      coding === 'identity'
        ? 'API head of feed vs prepared buffer'
        : `API head of feed, ${coding}, vs prepared buffer`,
    ours: ours?.rps,
    baseline: prepared?.rps,
    baselineName: `bare Fastify route sending the same ${bytes ? formatNumber(bytes) : '?'} bytes${coding === 'identity' ? '' : ` of ${coding}`} from a buffer (page of ${limit ?? '?'})${p99s}`,
    unit: 'req/s',
    target: { ratioAtLeast: 0.9 },
    note: ours === null ? 'feed-service not built yet' : undefined,
  });
}

/** `--only=apiHead`: the head rows alone, on a table seeded as for the API figure. */
export async function measureApiHeadFigure(ctx) {
  await seedFeedTable(ctx.db.pool, ctx.params.sizes.tableRows);
  return (await measureHeadFigure(ctx, ctx.params.sizes.pageSize)).rows;
}
