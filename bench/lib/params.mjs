/**
 * The sizes of a run. Full: the shapes named in the issue (about 28 minutes on 2 cores).
 * `--quick`: the same figures with smaller counts and shorter windows (under 2 minutes), for a
 * check while developing. `--only=drain,api` runs some figures; `--out=dir` writes elsewhere.
 */
const full = {
  drainCount: 100_000,
  /**
   * Rounds of drains (batched, 1, 2 and 4 workers each): the figures are their medians. Five,
   * not three: in the drain-only runs of 2026-12-04 one drain in three or four was a fifth to
   * a third slower than the others of its kind in the same run (why was not measured), and a
   * median of three moved with it (one worker against the pipeline, quorum: 1.32x in a run of
   * the same code that gave 1.08x in the full run that evening).
   */
  drainRounds: 5,
  naiveCount: 15_000,
  naiveMaxSeconds: 10,
  pacedRate: 5_000,
  pacedSeconds: 30,
  /**
   * Rounds of the paced end-to-end runs (ours and the baseline in turn): the rows are their
   * medians. A p99 of one 30 s run is as often a stall of the machine as the consumer's own:
   * in the full run of 2026-12-04 two of the baseline's three rounds met one (97 and 108 ms
   * against 39), so five, the median then past two stalled rounds of either side.
   */
  pacedRounds: 5,
  saturationSeconds: 8,
  publishCount: 50_000,
  publishInFlight: 1_000,
  outboxCount: 20_000,
  tableRows: 1_000_000,
  deepOffset: 900_000,
  pageSize: 50,
  apiSeconds: 8,
  apiWarmupSeconds: 2,
  apiConnections: 50,
  /** Rounds of the head's runs (ours and its baselines in turn): the rows are their medians. */
  apiRounds: 3,
  sseClients: 1_000,
  streamSeconds: 10,
  streamRate: 20,
  /** Commit to visible: concurrent store writers, at this rate in all, batches of 1 … max. */
  visibilityWriters: 4,
  visibilityRate: 5_000,
  visibilityMaxBatch: 200,
  visibilitySeconds: 20,
  /** The worker's settings (--only=settings): events per drain, rounds. */
  settingsCount: 50_000,
  settingsRounds: 5,
  memoryBacklog: 1_000_000,
  /** The worker's RSS is sampled through at most this much of the backlog's drain. */
  memoryDrainMaxSeconds: 150,
  outageSeconds: 10,
  outageRate: 5_000,
};

const quick = {
  ...full,
  drainCount: 10_000,
  naiveCount: 2_000,
  naiveMaxSeconds: 3,
  pacedSeconds: 5,
  pacedRounds: 1,
  saturationSeconds: 2,
  publishCount: 10_000,
  outboxCount: 5_000,
  tableRows: 100_000,
  deepOffset: 90_000,
  apiSeconds: 2,
  apiWarmupSeconds: 1,
  apiRounds: 1,
  sseClients: 200,
  streamSeconds: 3,
  visibilitySeconds: 5,
  settingsCount: 10_000,
  settingsRounds: 1,
  memoryBacklog: 30_000,
  memoryDrainMaxSeconds: 30,
  outageSeconds: 3,
  outageRate: 10_000,
};

/** What a run measures unless told otherwise. */
export const figureNames = [
  'drain',
  'endToEnd',
  'visibility',
  'publisher',
  'api',
  'orgPages',
  'stream',
  'memory',
];
/** Figures run only when asked for with --only: the sweep of the worker's settings; the head of the API alone (a part of api). */
export const extraFigureNames = ['settings', 'apiHead'];

export function parseParams(argv) {
  const flags = new Map(
    argv
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => {
        const [key, value = 'true'] = arg.slice(2).split('=');
        return [key, value];
      }),
  );
  const unknown = [...flags.keys()].filter((key) => !['quick', 'only', 'out'].includes(key));
  if (unknown.length > 0) throw new Error(`bench: unknown flag --${unknown[0]}`);
  const mode = flags.has('quick') ? 'quick' : 'full';
  const only = flags.has('only') ? flags.get('only').split(',') : figureNames;
  const known = [...figureNames, ...extraFigureNames];
  const wrong = only.filter((name) => !known.includes(name));
  if (wrong.length > 0) throw new Error(`bench: --only takes ${known.join(',')}, not ${wrong[0]}`);
  return {
    mode,
    only,
    out: flags.get('out') ?? (mode === 'full' ? 'bench' : 'bench/out'),
    sizes: mode === 'quick' ? quick : full,
  };
}
