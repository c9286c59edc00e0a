import { fileURLToPath } from 'node:url';
import { figureRow } from '../lib/figureRow.mjs';
import { freePort } from '../lib/freePort.mjs';
import { measureDrain } from '../lib/measureDrain.mjs';
import { profileArgs, workerMain } from '../lib/ourParts.mjs';

const baseline = (name) => fileURLToPath(new URL(`../baselines/${name}`, import.meta.url));

export async function ourWorker(ctx, queueType, extraEnv = {}) {
  return {
    label: 'feed-worker',
    script: workerMain,
    nodeArgs: profileArgs('worker'),
    env: {
      AMQP_URL: ctx.vhost.url,
      DATABASE_URL: ctx.db.url,
      FEED_QUEUE_TYPE: queueType,
      WORKER_HTTP_PORT: String(await freePort()),
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
 * Worker drain: events per second stored from a pre-filled queue, ours against the raw
 * ceiling (hand-written batched pipeline) and against the naive tutorial worker, for quorum
 * and classic queues. The naive worker is given a smaller backlog (it is ~25x slower).
 */
export async function measureDrainFigure(ctx) {
  const { sizes } = ctx.params;
  const rows = [];
  for (const queueType of ['quorum', 'classic']) {
    const run = (consumer, count, maxSeconds) =>
      measureDrain({ vhost: ctx.vhost, db: ctx.db, queueType, count, consumer, maxSeconds });
    const batched = await run(batchedPipeline(ctx), sizes.drainCount);
    ctx.log(`drain ${queueType}: hand-written batched ${batched.rate.toFixed(0)}/s`);
    const naive = await run(naiveWorker(ctx), sizes.naiveCount, sizes.naiveMaxSeconds);
    ctx.log(`drain ${queueType}: naive ${naive.rate.toFixed(0)}/s`);
    let ours = null;
    if (ctx.parts.worker) {
      ours = await run(await ourWorker(ctx, queueType), sizes.drainCount, 180);
      if (!ours.complete)
        throw new Error(`feed-worker stored ${ours.stored} of ${sizes.drainCount} events in 180 s`);
      if (ours.stored !== sizes.drainCount)
        throw new Error(`feed-worker stored ${ours.stored} rows for ${sizes.drainCount} events`);
      ctx.log(`drain ${queueType}: feed-worker ${ours.rate.toFixed(0)}/s`);
    }
    ctx.drainRss[queueType] = { batched: batched.peakRss, ours: ours?.peakRss ?? null };
    const note = ctx.parts.worker ? undefined : 'feed-worker not built yet';
    rows.push(
      figureRow({
        figure: `Worker drain, ${queueType}, vs batched`,
        ours: ours?.rate,
        baseline: batched.rate,
        baselineName: `hand-written amqplib+pg, unnest batches of 500, ${sizes.drainCount} events`,
        unit: 'ev/s',
        target: { ratioAtLeast: 1.0 },
        note,
      }),
      figureRow({
        figure: `Worker drain, ${queueType}, vs naive`,
        ours: ours?.rate,
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
