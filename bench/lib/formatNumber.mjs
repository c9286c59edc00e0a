/** 31,204 / 412 / 0.643 / 12.5: three significant digits below 1000, whole numbers above. */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

export function formatRatio(ratio) {
  return ratio === null || ratio === undefined ? '—' : `${formatNumber(ratio)}x`;
}
