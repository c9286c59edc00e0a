import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/child.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { emptyFeedTable } from '../lib/measureDrain.mjs';
import { percentile, waitUntil } from '../lib/stats.mjs';
import { listenForStored } from '../lib/storedLatency.mjs';

const writersScript = fileURLToPath(new URL('../clients/storeWriters.mjs', import.meta.url));
const tenths = (ms) => Math.round(ms * 10) / 10;

/**
 * Commit to visible: concurrent store writers (their own process) commit batches of random
 * sizes, and two readers look at the same time, in the same way (on each NOTIFY, after 50 ms
 * while held, every second): ours through the store's visible read, which shows a row once
 * the horizon passes it, and the baseline reading every committed row without the horizon.
 * A row's latency is the moment a reader got it minus the moment its writer's storeEvents
 * returned (commit and NOTIFY done): what the horizon adds is the difference.
 */
export async function measureVisibilityFigure(ctx) {
  const { sizes } = ctx.params;
  await emptyFeedTable(ctx.db.pool);
  const visible = await listenForStored(ctx.db.url, { read: 'visible' });
  const committed = await listenForStored(ctx.db.url, { read: 'committed' });
  let written;
  try {
    const writers = startNode(writersScript, {
      label: 'store writers',
      env: {
        DATABASE_URL: ctx.db.url,
        WRITERS: String(sizes.visibilityWriters),
        RATE: String(sizes.visibilityRate),
        MAX_BATCH: String(sizes.visibilityMaxBatch),
        SECONDS: String(sizes.visibilitySeconds),
      },
    });
    const result = await writers.next((m) => m.result, (sizes.visibilitySeconds + 60) * 1000);
    await writers.exited;
    written = { ...result, batches: writers.messages.filter((m) => m.batch).map((m) => m.batch) };
    for (const reader of [visible, committed]) {
      await waitUntil(`${result.events} events read`, () => reader.stored() >= result.events, {
        timeoutMs: 60_000,
      });
    }
  } finally {
    await visible.close();
    await committed.close();
  }
  const latencies = (reader) => {
    const seenAt = new Map(reader.seen.map((row) => [row.id, row.seenAt]));
    const values = [];
    for (const batch of written.batches) {
      for (let n = batch.from; n < batch.to; n++) {
        const at = seenAt.get(`${batch.source}-${n}`);
        if (at === undefined) throw new Error(`${batch.source}-${n} was never read`);
        values.push(at - batch.committedAt);
      }
    }
    if (reader.seen.length !== values.length)
      throw new Error(`${reader.seen.length} rows read for ${values.length} stored`);
    return { p50: tenths(percentile(values, 50)), p99: tenths(percentile(values, 99)) };
  };
  const ours = latencies(visible);
  const baseline = latencies(committed);
  const rate = written.events / sizes.visibilitySeconds;
  const took = written.batches.map((batch) => batch.tookMs);
  const transactions = `storeEvents took p50 ${tenths(percentile(took, 50))} ms, p99 ${tenths(percentile(took, 99))} ms`;
  ctx.log(
    `commit to visible: ours p50 ${ours.p50} p99 ${ours.p99} ms (${visible.looks()} looks); ` +
      `without the horizon p50 ${baseline.p50} p99 ${baseline.p99} ms (${committed.looks()} looks); ${transactions}`,
  );
  const baselineName =
    `the same reader at the same time reading every committed row, without the horizon; ` +
    `${sizes.visibilityWriters} store writers, batches of 1-${sizes.visibilityMaxBatch}, ` +
    `${formatNumber(rate)} ev/s for ${sizes.visibilitySeconds} s (${formatNumber(written.batches.length)} commits; ${transactions})`;
  return [
    figureRow({
      figure: `Commit to visible p99, ${sizes.visibilityWriters} writers`,
      ours: ours.p99,
      baseline: baseline.p99,
      baselineName,
      unit: 'ms',
    }),
    figureRow({
      figure: `Commit to visible p50, ${sizes.visibilityWriters} writers`,
      ours: ours.p50,
      baseline: baseline.p50,
      baselineName: 'same',
      unit: 'ms',
    }),
  ];
}
