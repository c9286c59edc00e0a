/**
 * One line of the results: our figure beside its baseline measured in the same run, their
 * ratio (ours / baseline), and the target it is held to. Targets:
 *   { ratioAtLeast: x }  ours / baseline >= x (rates: higher is better)
 *   { ratioAtMost: x }   ours / baseline <= x (latencies, memory: lower is better)
 *   { oursBelow: v }     ours < v, in the row's unit (absolute bounds such as p99 < 30 ms)
 * A figure without a target is informational. A figure that could not be measured (our part
 * not built yet, or the measurement failed) has ours = null and the verdict "n/a".
 */
export function figureRow({ figure, ours, baseline, baselineName, unit, target = null, note }) {
  const ratio =
    ours !== null &&
    ours !== undefined &&
    baseline !== null &&
    baseline !== undefined &&
    baseline !== 0
      ? ours / baseline
      : null;
  return {
    figure,
    ours: ours ?? null,
    baseline: baseline ?? null,
    baselineName: baselineName ?? null,
    unit,
    ratio,
    target: target ? describeTarget(target, unit) : null,
    targetSpec: target,
    verdict: verdictOf(target, ours ?? null, ratio),
    note: note ?? null,
  };
}

export function describeTarget(target, unit) {
  if ('ratioAtLeast' in target) return `>= ${target.ratioAtLeast}x`;
  if ('ratioAtMost' in target) return `<= ${target.ratioAtMost}x`;
  if ('oursBelow' in target) return `< ${target.oursBelow} ${unit}`;
  return '';
}

export function verdictOf(target, ours, ratio) {
  if (ours === null) return 'n/a';
  if (!target) return 'info';
  if ('ratioAtLeast' in target)
    return ratio === null ? 'n/a' : ratio >= target.ratioAtLeast ? 'pass' : 'FAIL';
  if ('ratioAtMost' in target)
    return ratio === null ? 'n/a' : ratio <= target.ratioAtMost ? 'pass' : 'FAIL';
  if ('oursBelow' in target) return ours < target.oursBelow ? 'pass' : 'FAIL';
  return 'info';
}
