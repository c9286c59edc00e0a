import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/child.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { queueState, resetTopology } from '../lib/feedQueue.mjs';
import { emptyFeedTable } from '../lib/measureDrain.mjs';
import { cpuSecondsOf, hostBusyPercent, hostTicks } from '../lib/processCpu.mjs';
import { percentile, waitUntil } from '../lib/stats.mjs';
import { listenForStored } from '../lib/storedLatency.mjs';
import { batchedPipeline, ourWorker } from './drain.mjs';

const tenths = (ms) => Math.round(ms * 10) / 10;
const pacer = fileURLToPath(new URL('../clients/pacedPublish.mjs', import.meta.url));

/**
 * Publishing before the measured window, the same for every consumer: the first events after
 * a consumer starts meet its connections being opened, its statements planned and its code
 * compiled (in a 5 s run, every one of ours among the slowest 1% was published in its first
 * 250 ms, and 156 of the baseline's 250), which is start-up, not the steady latency measured.
 */
export const LATENCY_WARMUP_MS = 1000;

/**
 * Runs one publisher (paced, or flat out when rate is 0) against one consumer process and
 * returns the latencies of every event from its publisher's stamp to the moment a reader that
 * looks the `read` way (see storedLatency.mjs) got it: ours through the store's visible read.
 * The publisher runs LATENCY_WARMUP_MS longer; the events it stamped in that first stretch
 * are stored and waited for, but not counted.
 */
export async function measureLatency(ctx, { consumer, read, publisherMode, rate, seconds }) {
  await emptyFeedTable(ctx.db.pool);
  await resetTopology(ctx.vhost.url, 'quorum');
  const worker = startNode(consumer.script, {
    env: consumer.env,
    label: consumer.label,
    nodeArgs: consumer.nodeArgs,
  });
  const listener = await listenForStored(ctx.db.url, { read });
  try {
    await waitUntil(`${consumer.label} to consume`, async () => {
      return (await queueState(ctx.vhost.url)).consumerCount > 0;
    });
    const hostBefore = hostTicks();
    const consumerBefore = cpuSecondsOf(worker.pid);
    const publisher = startNode(pacer, {
      label: `paced publisher (${publisherMode})`,
      env: {
        AMQP_URL: ctx.vhost.url,
        MODE: publisherMode,
        RATE: String(rate),
        SECONDS: String(seconds + LATENCY_WARMUP_MS / 1000),
      },
    });
    const published = await publisher.next((m) => m.result, (seconds + 120) * 1000);
    if (published.failed > 0) throw new Error(`${published.failed} publishes failed`);
    await waitUntil(`${published.sent} events stored`, () => listener.stored() >= published.sent, {
      timeoutMs: 120_000,
    });
    const busy = hostBusyPercent(hostBefore, hostTicks());
    const consumerMs = (cpuSecondsOf(worker.pid) - consumerBefore) * 1000;
    const firstStamp = listener.seen.reduce((low, row) => Math.min(low, row.time), Infinity);
    const measured = listener.seen.filter((row) => row.time >= firstStamp + LATENCY_WARMUP_MS);
    const values = measured.map((row) => row.seenAt - row.time);
    // Stamp and sight are read from the one wall clock: below zero, it was set back meanwhile.
    const early = values.filter((ms) => ms < 0).length;
    if (early > 0)
      throw new Error(
        `${early} events seen before their stamp: the system clock was set back during the run; run it again`,
      );
    // storedAt is now() of the storing transaction: where the time went, in two parts.
    const beforeInsert = measured.map((row) => row.storedAt - row.time);
    const afterInsert = measured.map((row) => row.seenAt - row.storedAt);
    return {
      p50: tenths(percentile(values, 50)),
      p99: tenths(percentile(values, 99)),
      beforeInsertP50: Math.round(percentile(beforeInsert, 50)),
      beforeInsertP99: Math.round(percentile(beforeInsert, 99)),
      afterInsertP50: tenths(percentile(afterInsert, 50)),
      afterInsertP99: tenths(percentile(afterInsert, 99)),
      lookP50: tenths(percentile(listener.lookMs, 50)),
      lookP99: tenths(percentile(listener.lookMs, 99)),
      published: published.rate,
      stored: values.length,
      // The machine's share busy (both cores) from the publisher's start until all was
      // stored, and the CPU per event of the publisher and the consumer: a p99 at a rate the
      // machine barely keeps up with is set by how busy it is.
      hostBusy: busy,
      publisherUs: Math.round((published.cpuMs * 1000) / published.sent),
      consumerUs: Math.round((consumerMs * 1000) / published.sent),
    };
  } finally {
    await listener.close();
    await worker.stop();
  }
}

/**
 * Each side's run whose p99 is the median of the rounds' (the p50, published rate and where
 * the time went are that run's), so that every figure of a row comes from one run.
 */
function medianRun(rounds) {
  const median = (side) => {
    const sorted = rounds
      .map((run) => run[side])
      .filter((run) => run !== null)
      .sort((a, b) => a.p99 - b.p99);
    return sorted.length === 0 ? null : sorted[Math.floor((sorted.length - 1) / 2)];
  };
  return { ours: median('ours'), baseline: median('baseline') };
}

/**
 * End to end: publish → visible latency (p50/p99) at a paced rate well under the ceiling and at
 * saturation. Ours is the SDK into feed-worker, read through the store's visible read; the
 * baseline is raw amqplib into the hand-written batched pipeline, read its own way (rows up to
 * the `seq` its NOTIFY names), under the same load.
 */
export async function measureEndToEndFigure(ctx) {
  const { sizes } = ctx.params;
  const baselineConsumer = batchedPipeline(ctx, { NOTIFY: '1' });
  const canRunOurs = ctx.parts.worker && ctx.parts.publisher;
  const baseline = (rate, seconds) =>
    measureLatency(ctx, {
      consumer: baselineConsumer,
      read: 'notifiedSeq',
      publisherMode: 'raw',
      rate,
      seconds,
    });
  const ours = (rate, seconds, publisherMode = 'sdk') =>
    canRunOurs
      ? measureLatency(ctx, {
          consumer: ourWorker(ctx, 'quorum'),
          read: 'visible',
          publisherMode,
          rate,
          seconds,
        })
      : Promise.resolve(null);
  const describe = (r) =>
    r
      ? `p50 ${r.p50} (${r.beforeInsertP50} before the insert began) p99 ${r.p99} ms at ${r.published.toFixed(0)}/s, machine ${r.hostBusy}% busy`
      : 'n/a';
  // The paced runs, in rounds: the baseline first in odd rounds, ours first in even ones.
  const rounds = [];
  for (let round = 1; round <= sizes.pacedRounds; round += 1) {
    const run = {};
    for (const side of round % 2 === 1 ? ['baseline', 'ours'] : ['ours', 'baseline'])
      run[side] =
        side === 'baseline'
          ? await baseline(sizes.pacedRate, sizes.pacedSeconds)
          : await ours(sizes.pacedRate, sizes.pacedSeconds);
    ctx.log(
      `end to end paced, round ${round}: ours ${describe(run.ours)}; baseline ${describe(run.baseline)}`,
    );
    rounds.push(run);
  }
  const runs = { paced: medianRun(rounds) };
  // Our worker and reader alone, once: fed by the baseline's raw publisher, so the row beside
  // the figure says what of the gap is the SDK's and what the storing and reading path's.
  runs.paced.oursRaw = await ours(sizes.pacedRate, sizes.pacedSeconds, 'raw');
  if (runs.paced.oursRaw)
    ctx.log(`end to end paced, raw publisher into ours: ${describe(runs.paced.oursRaw)}`);
  // At half the rate, once each: whether the gap is the path's own or the machine's, which
  // at the paced rate is most of the way to busy (see `load` in the rows).
  const halfRate = sizes.pacedRate / 2;
  runs.half = {
    baseline: await baseline(halfRate, sizes.pacedSeconds),
    ours: await ours(halfRate, sizes.pacedSeconds),
  };
  ctx.log(
    `end to end at ${halfRate} ev/s: ours ${describe(runs.half.ours)}; baseline ${describe(runs.half.baseline)}`,
  );
  runs.saturation = {
    baseline: await baseline(0, sizes.saturationSeconds),
    ours: await ours(0, sizes.saturationSeconds),
  };
  ctx.log(
    `end to end saturation: ours ${describe(runs.saturation.ours)}; baseline ${describe(runs.saturation.baseline)}`,
  );
  const note = canRunOurs ? undefined : 'feed-worker or @feed/publisher not built yet';
  const { paced, half, saturation } = runs;
  // How busy the machine was and where its CPU went, per event, for one side's run.
  const load = (r) =>
    `machine ${r.hostBusy}% busy (both cores), CPU per event: publisher ${r.publisherUs} µs, consumer ${r.consumerUs} µs`;
  // Publish to the insert's transaction start, from there until a reader had it, and the
  // reader's looks themselves.
  const split = (r) =>
    `${r.beforeInsertP99} ms before the insert began, ${r.afterInsertP99} ms from there to a reader (p50 ${r.afterInsertP50}), looks of ${r.lookP50} ms (p99 ${r.lookP99})`;
  const rateNote = (run) =>
    `${formatNumber(run.ours?.published)} ev/s published (ours), ${formatNumber(run.baseline.published)} (baseline)`;
  const eachRound = (side) => rounds.map((run) => run[side]?.p99 ?? '—').join(', ');
  const pacedName = `raw amqplib → hand-written batched pipeline, ${sizes.pacedRate} ev/s for ${sizes.pacedSeconds} s; ${rateNote(paced)}${
    rounds.length > 1
      ? `; median of ${rounds.length} rounds taking turns, p99 ours ${eachRound('ours')} ms, baseline ${eachRound('baseline')} ms`
      : ''
  }`;
  const saturationName = `same, publishing flat out (1000 in flight) for ${sizes.saturationSeconds} s; ${rateNote(saturation)}`;
  return [
    figureRow({
      figure: `End to end p99 at ${formatNumber(sizes.pacedRate)} ev/s`,
      ours: paced.ours?.p99,
      baseline: paced.baseline.p99,
      baselineName: pacedName,
      unit: 'ms',
      target: { ratioAtMost: 1.2 },
      note:
        note ??
        `where the time went, p99: ${split(paced.ours)} (ours), ${split(paced.baseline)} (baseline); ${load(paced.ours)} (ours), ${load(paced.baseline)} (baseline)`,
    }),
    figureRow({
      figure: `End to end p50 at ${formatNumber(sizes.pacedRate)} ev/s`,
      ours: paced.ours?.p50,
      baseline: paced.baseline.p50,
      baselineName: pacedName,
      unit: 'ms',
      note:
        note ??
        `before the insert's transaction began: ours ${paced.ours.beforeInsertP50} ms, baseline ${paced.baseline.beforeInsertP50} ms (p50)`,
    }),
    figureRow({
      figure: `End to end p99 at ${formatNumber(sizes.pacedRate)} ev/s, raw publisher into ours`,
      ours: paced.oursRaw?.p99,
      baseline: paced.baseline.p99,
      baselineName: `the same baseline; ours is feed-worker read through the visible read, fed by the baseline's raw amqplib publisher instead of the SDK: ${formatNumber(paced.oursRaw?.published)} ev/s published; p50 ${paced.oursRaw?.p50} ms against ${paced.baseline.p50} ms, ${paced.oursRaw?.beforeInsertP50} ms before the insert's transaction began`,
      unit: 'ms',
      note,
    }),
    figureRow({
      figure: `End to end p99 at ${formatNumber(halfRate)} ev/s`,
      ours: half.ours?.p99,
      baseline: half.baseline.p99,
      baselineName: `the same baseline at half the rate, ${sizes.pacedSeconds} s, once each; p50 ours ${half.ours?.p50} ms, baseline ${half.baseline.p50} ms`,
      unit: 'ms',
      note: note ?? `${load(half.ours)} (ours), ${load(half.baseline)} (baseline)`,
    }),
    figureRow({
      figure: 'End to end p99 at saturation',
      ours: saturation.ours?.p99,
      baseline: saturation.baseline.p99,
      baselineName: saturationName,
      unit: 'ms',
      note,
    }),
    figureRow({
      figure: 'End to end p50 at saturation',
      ours: saturation.ours?.p50,
      baseline: saturation.baseline.p50,
      baselineName: saturationName,
      unit: 'ms',
      note,
    }),
  ];
}
