import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/child.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { resetTopology } from '../lib/feedQueue.mjs';
import { measureDrain } from '../lib/measureDrain.mjs';
import { ourWorker } from './drain.mjs';

const MB = 1024 * 1024;
const outageClient = fileURLToPath(new URL('../clients/publisherOutage.mjs', import.meta.url));

async function publisherOutage(ctx, mode) {
  await resetTopology(ctx.vhost.url, 'quorum');
  const child = startNode(outageClient, {
    label: `publisher outage (${mode})`,
    nodeArgs: ['--expose-gc'],
    env: {
      AMQP_URL: ctx.vhost.url,
      MODE: mode,
      SECONDS: String(ctx.params.sizes.outageSeconds),
      RATE: String(ctx.params.sizes.outageRate),
    },
  });
  const result = await child.next((m) => m.result, (ctx.params.sizes.outageSeconds + 60) * 1000);
  await child.exited;
  ctx.log(
    `publisher outage ${mode}: ${result.offered} offered, ${result.rejected} rejected, ` +
      `memory ${(result.jsGrowth / MB).toFixed(1)} MB over ${result.sampledSeconds.toFixed(1)} s after the buffer filled`,
  );
  return result;
}

/**
 * Memory: the worker's peak RSS while draining a large backlog (the broker holds the backlog;
 * prefetch bounds what the worker holds), and the publisher's memory with the broker down
 * once its buffer is full, against amqp-connection-manager, which buffers without bound.
 */
export async function measureMemoryFigure(ctx) {
  const { sizes } = ctx.params;
  let worker = null;
  if (ctx.parts.worker) {
    worker = await measureDrain({
      vhost: ctx.vhost,
      db: ctx.db,
      queueType: 'quorum',
      count: sizes.memoryBacklog,
      consumers: [ourWorker(ctx, 'quorum')],
      maxSeconds: sizes.memoryDrainMaxSeconds,
    });
    ctx.log(
      `worker through ${sizes.memoryBacklog} backlog: peak RSS ${(worker.peakRss / MB).toFixed(0)} MB, ${worker.rate.toFixed(0)} ev/s`,
    );
  }
  const batchedRss = ctx.drainRss.quorum?.batched ?? null;
  const sdk = ctx.parts.publisher ? await publisherOutage(ctx, 'sdk') : null;
  const acm = await publisherOutage(ctx, 'acm');
  const backlog = sizes.memoryBacklog.toLocaleString('en-US');
  return [
    figureRow({
      figure: `Worker peak RSS, ${backlog} backlog`,
      ours: worker ? worker.peakRss / MB : null,
      baseline: batchedRss === null ? null : batchedRss / MB,
      baselineName: `hand-written batched pipeline (prefetch 2000) during its ${sizes.drainCount.toLocaleString('en-US')}-event drain`,
      unit: 'MB',
      target: { oursBelow: 200 },
      note: worker
        ? `ours stored ${worker.stored} of the backlog at ${Math.round(worker.rate)} ev/s, sampled every 200 ms`
        : 'feed-worker not built yet',
    }),
    figureRow({
      figure: 'Publisher memory growth, broker down',
      ours: sdk?.jsGrowth / MB,
      baseline: acm.jsGrowth / MB,
      baselineName: `amqp-connection-manager (unbounded buffer); offered ${sizes.outageRate.toLocaleString('en-US')}/s for ${sizes.outageSeconds} s, heap+buffers after GC, from buffer full`,
      unit: 'MB',
      target: { oursBelow: 5 },
      note: sdk
        ? `ours rejected ${sdk.rejected} of ${sdk.offered} with FEED_PUBLISH_BUFFER_FULL`
        : '@feed/publisher not built yet',
    }),
  ];
}
