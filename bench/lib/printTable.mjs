import { formatNumber, formatRatio } from './formatNumber.mjs';

const columns = [
  ['figure', (r) => r.figure],
  ['ours', (r) => formatNumber(r.ours)],
  ['baseline', (r) => formatNumber(r.baseline)],
  ['unit', (r) => r.unit],
  ['ratio', (r) => formatRatio(r.ratio)],
  ['target', (r) => r.target ?? ''],
  ['verdict', (r) => r.verdict],
];

/** The results as a plain-text table, numbers right-aligned; baselines are named underneath. */
export function formatTable(rows) {
  const cells = rows.map((row) => columns.map(([, cell]) => String(cell(row))));
  const widths = columns.map(([title], i) =>
    Math.max(title.length, ...cells.map((line) => line[i].length)),
  );
  const numeric = new Set([1, 2, 4]);
  const line = (values) =>
    values
      .map((value, i) => (numeric.has(i) ? value.padStart(widths[i]) : value.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map(([title]) => title)), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const values of cells) out.push(line(values));
  const named = rows.filter((r) => r.baselineName || r.note);
  if (named.length > 0) {
    out.push('', 'baselines and notes:');
    for (const r of named) {
      out.push(`  ${r.figure}: ${[r.baselineName, r.note].filter(Boolean).join('; ')}`);
    }
  }
  return out.join('\n');
}

/** The same rows as a Markdown table, for the README. */
export function formatMarkdown(rows) {
  const cell = (text) => String(text).replace(/\|/g, '\\|');
  const out = [
    '| figure | ours | baseline | unit | ratio | target | verdict | baseline measured |',
    '|---|--:|--:|---|--:|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${[
        r.figure,
        formatNumber(r.ours),
        formatNumber(r.baseline),
        r.unit,
        formatRatio(r.ratio),
        r.target ?? '',
        r.verdict,
        [r.baselineName, r.note].filter(Boolean).join('; '),
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  return out.join('\n');
}
