import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber, formatRatio } from '../lib/formatNumber.mjs';
import { measureDrain } from '../lib/measureDrain.mjs';
import { median } from '../lib/stats.mjs';
import { batchedPipeline, describeCpu, drainWithWorkers, listRates, rotated } from './drain.mjs';

const inFlightChoices = [1, 2, 3, 4];
const batchSizeChoices = [250, 500, 1000];
/** The worker's defaults (feed-worker/src/config.ts): every row is a ratio to them. */
const defaults = { inFlight: 2, batchSize: 1000 };

/**
 * The worker's variables for one setting. The pool holds two connections more than the
 * batches in flight, as the defaults do (2 and 4): the readiness check, and the NOTIFY a
 * commit of reactions sends on a connection of its own; the prefetch lets every batch in
 * flight fill and the next one gather (at least 2000; the defaults' is 3000).
 */
export function settingEnv({ inFlight, batchSize }) {
  return {
    WORKER_BATCHES_IN_FLIGHT: String(inFlight),
    WORKER_DB_POOL_MAX: String(inFlight + 2),
    WORKER_BATCH_SIZE: String(batchSize),
    WORKER_PREFETCH: String(Math.max(2000, batchSize * (inFlight + 1))),
  };
}

/**
 * The worker's settings that use concurrent commits, on a quorum queue: every combination of
 * WORKER_BATCHES_IN_FLIGHT 1-4 and WORKER_BATCH_SIZE 250/500/1000, one worker draining a
 * pre-filled queue, in rounds (each round runs every setting once, and the batched pipeline
 * for reference, in an order turned by the round); each row is the median of its rounds
 * against the median of the defaults in the same run. Run with --only=settings.
 */
export async function measureSettingsFigure(ctx) {
  const { sizes } = ctx.params;
  if (!ctx.parts.worker) throw new Error('feed-worker not built yet');
  const settings = inFlightChoices.flatMap((inFlight) =>
    batchSizeChoices.map((batchSize) => ({ inFlight, batchSize })),
  );
  const key = (s) => (s === 'batched' ? s : `${s.inFlight}/${s.batchSize}`);
  const runs = new Map([['batched', []], ...settings.map((s) => [key(s), []])]);
  const count = sizes.settingsCount;
  for (let round = 0; round < sizes.settingsRounds; round++) {
    for (const setting of rotated(['batched', ...settings], round)) {
      const result =
        setting === 'batched'
          ? await measureDrain({
              vhost: ctx.vhost,
              db: ctx.db,
              queueType: 'quorum',
              count,
              consumers: [batchedPipeline(ctx)],
            })
          : await drainWithWorkers(ctx, {
              queueType: 'quorum',
              count,
              workers: 1,
              env: settingEnv(setting),
            });
      runs.get(key(setting)).push(result);
      ctx.log(`settings round ${round + 1}: ${key(setting)} ${result.rate.toFixed(0)}/s`);
    }
  }
  const rate = (setting) => median(runs.get(key(setting)).map((r) => r.rate));
  const ofDefaults = rate(defaults);
  const batched = rate('batched');
  const medianOf = `median of ${sizes.settingsRounds} drains of ${count} events, quorum`;
  return settings.map((setting) => {
    const env = settingEnv(setting);
    const ours = rate(setting);
    return figureRow({
      figure: `Worker settings: ${setting.inFlight} in flight, batch ${setting.batchSize}`,
      ours,
      baseline: ofDefaults,
      baselineName: `the defaults (${defaults.inFlight} in flight, batch ${defaults.batchSize}), ${medianOf}`,
      unit: 'ev/s',
      note:
        `prefetch ${env.WORKER_PREFETCH}, pool ${env.WORKER_DB_POOL_MAX}; runs ${listRates(runs.get(key(setting)))}; ` +
        `CPU ms per 1000 events: ${describeCpu(runs.get(key(setting)))}; ` +
        `${formatRatio(ours / batched)} the batched pipeline (${formatNumber(batched)}/s; CPU ${describeCpu(runs.get('batched'))})`,
    });
  });
}
