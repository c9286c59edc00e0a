import { formatNumber, formatRatio } from './formatNumber.mjs';

const escape = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

/** The baseline's description under the figure's name, cut to the label column (full text in a tooltip). */
const shorten = (text, max) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const colors = {
  ours: '#2f6fdf',
  baseline: '#9aa3ad',
  pass: '#1a7f37',
  FAIL: '#cf222e',
  other: '#57606a',
};

/**
 * The results as an SVG bar chart: for each figure our bar above its baseline's, both scaled
 * to the larger of the two (figures have different units, so each pair has its own scale),
 * with the values, the ratio, the target and the verdict on the right.
 */
export function drawChart(rows, { title, subtitle }) {
  const width = 1000;
  const labelWidth = 330;
  const barWidth = 400;
  const rowHeight = 44;
  const top = 70;
  const height = top + rows.length * rowHeight + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="600">${escape(title)}</text>`,
    `<text x="16" y="46" fill="${colors.other}">${escape(subtitle)}</text>`,
    `<rect x="${labelWidth}" y="54" width="10" height="8" fill="${colors.ours}"/><text x="${labelWidth + 14}" y="62">ours</text>`,
    `<rect x="${labelWidth + 60}" y="54" width="10" height="8" fill="${colors.baseline}"/><text x="${labelWidth + 74}" y="62">baseline (same run)</text>`,
  ];
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const scale = Math.max(row.ours ?? 0, row.baseline ?? 0) || 1;
    const bar = (value, dy, color) => {
      const w = value === null ? 0 : Math.max(1, (value / scale) * barWidth);
      const label = value === null ? 'n/a' : `${formatNumber(value)} ${row.unit}`;
      return (
        `<rect x="${labelWidth}" y="${y + dy}" width="${w.toFixed(1)}" height="14" fill="${color}"/>` +
        `<text x="${labelWidth + w + 4}" y="${y + dy + 11}">${escape(label)}</text>`
      );
    };
    const verdictColor = colors[row.verdict] ?? colors.other;
    parts.push(
      `<text x="16" y="${y + 13}">${escape(row.figure)}</text>`,
      `<text x="16" y="${y + 29}" fill="${colors.other}" font-size="10"><title>${escape(row.baselineName ?? '')}</title>${escape(shorten(row.baselineName ?? '', 58))}</text>`,
      bar(row.ours, 2, colors.ours),
      bar(row.baseline, 18, colors.baseline),
      `<text x="${width - 16}" y="${y + 13}" text-anchor="end" font-weight="600">${escape(formatRatio(row.ratio))}</text>`,
      `<text x="${width - 16}" y="${y + 29}" text-anchor="end" fill="${verdictColor}">${escape([row.target, row.verdict].filter(Boolean).join('  '))}</text>`,
      `<line x1="16" x2="${width - 16}" y1="${y + rowHeight - 4}" y2="${y + rowHeight - 4}" stroke="#eaeef2"/>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
