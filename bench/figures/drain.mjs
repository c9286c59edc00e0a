import { fileURLToPath } from 'node:url';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { measureDrain } from '../lib/measureDrain.mjs';
import { profileArgs, workerMain } from '../lib/ourParts.mjs';
import { median } from '../lib/stats.mjs';

const baseline = (name) => fileURLToPath(new URL(`../baselines/${name}`, import.meta.url));

export function ourWorker(ctx, queueType, extraEnv = {}) {
  return {
    label: 'feed-worker',
    script: workerMain,
    nodeArgs: profileArgs('worker'),
    env: {
      AMQP_URL: ctx.vhost.url,
      DATABASE_URL: ctx.db.url,
      FEED_QUEUE_TYPE: queueType,
      // Any free port: several workers run side by side.
      WORKER_HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  };
}

export function batchedPipeline(ctx, extraEnv = {}) {
  return {
    label: 'hand-written batched pipeline',
    script: baseline('batchedDrain.mjs'),
    env: { AMQP_URL: ctx.vhost.url, DATABASE_URL: ctx.db.url, ...extraEnv },
  };
}

function naiveWorker(ctx) {
  return {
    label: 'naive worker',
    script: baseline('naiveDrain.mjs'),
    env: { AMQP_URL: ctx.vhost.url, DATABASE_URL: ctx.db.url },
  };
}

/**
 * Events every drain stores before its clock starts: consumers run for days, so what is timed
 * is their steady drain, after the first batches have had their code compiled.
 */
export const warmupOf = (count) => Math.floor(count / 10);

/** Drains of ours: every event stored once, or the figure is void. */
export async function drainWithWorkers(ctx, { queueType, count, workers, env = {} }) {
  const consumers = Array.from({ length: workers }, () => ourWorker(ctx, queueType, env));
  const result = await measureDrain({
    vhost: ctx.vhost,
    db: ctx.db,
    queueType,
    count,
    consumers,
    maxSeconds: 180,
    warmup: warmupOf(count),
  });
  if (!result.complete)
    throw new Error(`feed-worker ×${workers} stored ${result.stored} of ${count} events in 180 s`);
  if (result.stored !== count)
    throw new Error(`feed-worker ×${workers} stored ${result.stored} rows for ${count} events`);
  return result;
}

/** Round r runs the same drains, in an order turned by r: no drain always comes first. */
export function rotated(list, round) {
  const by = round % list.length;
  return [...list.slice(by), ...list.slice(0, by)];
}

export const listRates = (runs) => runs.map((run) => formatNumber(run.rate)).join(', ');

/** Median CPU ms per 1000 events of some drains: where the machine's time went. */
export function describeCpu(runs) {
  if (runs.length === 0) return 'n/a';
  const of = (part) => formatNumber(median(runs.map((run) => run.cpuPerThousand[part])));
  return `consumers ${of('consumers')}, their PostgreSQL backends ${of('postgres')}, broker ${of('broker')}`;
}

/**
 * Worker drain: events per second stored from a pre-filled queue, for quorum and classic
 * queues. Ours with 1, 2 and 4 workers (competing consumers, each its own process with the
 * default settings) beside the raw ceiling (hand-written batched pipeline), in rounds: each
 * round runs every one of them once, and the figures are the medians over the rounds. The
 * naive tutorial worker runs once, with a smaller backlog (it is ~25x slower).
 */
export async function measureDrainFigure(ctx) {
  const { sizes } = ctx.params;
  const rows = [];
  const workerCounts = [1, 2, 4];
  for (const queueType of ['quorum', 'classic']) {
    const naive = await measureDrain({
      vhost: ctx.vhost,
      db: ctx.db,
      queueType,
      count: sizes.naiveCount,
      consumers: [naiveWorker(ctx)],
      maxSeconds: sizes.naiveMaxSeconds,
      warmup: warmupOf(sizes.naiveCount),
    });
    ctx.log(`drain ${queueType}: naive ${naive.rate.toFixed(0)}/s`);
    const runs = { batched: [] };
    for (const n of workerCounts) runs[n] = [];
    const kinds = ['batched', ...(ctx.parts.worker ? workerCounts : [])];
    for (let round = 0; round < sizes.drainRounds; round++) {
      for (const kind of rotated(kinds, round)) {
        const result =
          kind === 'batched'
            ? await measureDrain({
                vhost: ctx.vhost,
                db: ctx.db,
                queueType,
                count: sizes.drainCount,
                consumers: [batchedPipeline(ctx)],
                warmup: warmupOf(sizes.drainCount),
              })
            : await drainWithWorkers(ctx, { queueType, count: sizes.drainCount, workers: kind });
        runs[kind].push(result);
        const name = kind === 'batched' ? 'hand-written batched' : `feed-worker ×${kind}`;
        ctx.log(`drain ${queueType} round ${round + 1}: ${name} ${result.rate.toFixed(0)}/s`);
      }
    }
    const rate = (kind) => (runs[kind].length > 0 ? median(runs[kind].map((r) => r.rate)) : null);
    const peak = (kind) =>
      runs[kind].length > 0 ? Math.max(...runs[kind].map((r) => r.peakRss)) : null;
    ctx.drainRss[queueType] = { batched: peak('batched'), ours: peak(1) };
    const note = ctx.parts.worker ? undefined : 'feed-worker not built yet';
    const medianOf = `median of ${sizes.drainRounds} rounds of ${sizes.drainCount} events (the first ${warmupOf(sizes.drainCount)} not timed: warm-up)`;
    const oursRuns = (n) =>
      ctx.parts.worker
        ? `; ×${n}: ${listRates(runs[n])} (CPU ms per 1000 events: ${describeCpu(runs[n])})`
        : '';
    rows.push(
      figureRow({
        figure: `Worker drain, ${queueType}, 1 worker vs batched`,
        ours: rate(1),
        baseline: rate('batched'),
        baselineName: `hand-written amqplib+pg, unnest batches of 500, ${medianOf}; runs: batched ${listRates(runs.batched)} (CPU ms per 1000 events: ${describeCpu(runs.batched)})${oursRuns(1)}`,
        unit: 'ev/s',
        target: { ratioAtLeast: 1.3 },
        note,
      }),
      figureRow({
        figure: `Worker drain, ${queueType}, 2 workers vs 1`,
        ours: rate(2),
        baseline: rate(1),
        baselineName: `${medianOf}, each worker with the defaults${oursRuns(2)}`,
        unit: 'ev/s',
        target: { ratioAtLeast: 1.0 },
        note,
      }),
      figureRow({
        figure: `Worker drain, ${queueType}, 4 workers vs 1`,
        ours: rate(4),
        baseline: rate(1),
        baselineName: `same${oursRuns(4)}`,
        unit: 'ev/s',
        note,
      }),
      figureRow({
        figure: `Worker drain, ${queueType}, 1 worker vs naive`,
        ours: rate(1),
        baseline: naive.rate,
        baselineName: `prefetch 1, one insert + ack per message, ${Math.round(naive.rate * naive.seconds)} events`,
        unit: 'ev/s',
        target: { ratioAtLeast: 20 },
        note,
      }),
    );
  }
  return rows;
}
