import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain ESM JavaScript without type declarations
import { figureRow } from '../lib/figureRow.mjs';
// @ts-expect-error: as above
import { formatTable } from '../lib/printTable.mjs';
// @ts-expect-error: as above
import { drawChart } from '../lib/drawChart.mjs';
// @ts-expect-error: as above
import { percentile } from '../lib/stats.mjs';
// @ts-expect-error: as above
import { parseParams } from '../lib/params.mjs';
// @ts-expect-error: as above
import { rotated } from '../figures/drain.mjs';
// @ts-expect-error: as above
import { seedPosition } from '../lib/seedFeedTable.mjs';

const rows = [
  figureRow({
    figure: 'Drain <quorum>',
    ours: 31204.4,
    baseline: 24000,
    baselineName: 'batched',
    unit: 'ev/s',
    target: { ratioAtLeast: 1 },
  }),
  figureRow({ figure: 'Stream p99', ours: null, baseline: 0.5, unit: 'ms', note: 'not built' }),
];

describe('the results table', () => {
  it('has one line per figure with ours, baseline, ratio, target and verdict', () => {
    const lines = formatTable(rows).split('\n');
    expect(lines[0]).toMatch(/^figure\s+ours\s+baseline\s+unit\s+ratio\s+target\s+verdict$/);
    expect(lines[2]).toMatch(/^Drain <quorum>\s+31,204\s+24,000\s+ev\/s\s+1\.3x\s+>= 1x\s+pass$/);
    expect(lines[3]).toMatch(/^Stream p99\s+—\s+0\.5\s+ms\s+—\s+n\/a$/);
    expect(lines).toContain('  Stream p99: not built');
  });
});

describe('the chart', () => {
  it('draws a bar for ours and one for the baseline per figure, escaping text', () => {
    const svg = drawChart(rows, { title: 'T & co', subtitle: 's' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('T &amp; co');
    expect(svg).toContain('Drain &lt;quorum&gt;');
    expect(svg).toContain('1.3x');
    expect(svg.match(/<rect /g)).toHaveLength(1 + 2 + 2 * rows.length);
    expect(svg).toContain('>n/a<');
  });
});

describe('percentile', () => {
  it('is nearest-rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 99)).toBeNull();
  });
});

describe('parseParams', () => {
  it('picks the quick sizes, the figures asked for, and refuses unknown flags', () => {
    const quick = parseParams(['--quick', '--only=drain,api']);
    expect(quick).toMatchObject({ mode: 'quick', only: ['drain', 'api'], out: 'bench/out' });
    expect(quick.sizes.drainCount).toBeLessThan(parseParams([]).sizes.drainCount);
    expect(parseParams([]).out).toBe('bench');
    expect(() => parseParams(['--fast'])).toThrow('bench: unknown flag --fast');
    expect(() => parseParams(['--only=disk'])).toThrow('bench: --only takes');
  });

  it('runs the settings sweep only when asked for', () => {
    expect(parseParams([]).only).not.toContain('settings');
    expect(parseParams([]).only).toContain('visibility');
    expect(parseParams(['--only=settings']).only).toEqual(['settings']);
  });
});

describe('drain rounds', () => {
  it('turn the order of the drains by the round, so none always comes first', () => {
    expect(rotated(['batched', 1, 2, 4], 0)).toEqual(['batched', 1, 2, 4]);
    expect(rotated(['batched', 1, 2, 4], 1)).toEqual([1, 2, 4, 'batched']);
    expect(rotated(['batched', 1, 2, 4], 5)).toEqual([1, 2, 4, 'batched']);
  });
});

describe('seedPosition', () => {
  it('gives the seeded rows transaction ids of 500 rows each, in seq order', () => {
    expect(seedPosition(1)).toEqual({ xid: '10000', seq: '1' });
    expect(seedPosition(500)).toEqual({ xid: '10000', seq: '500' });
    expect(seedPosition(501)).toEqual({ xid: '10001', seq: '501' });
    expect(seedPosition(1_000_000)).toEqual({ xid: '11999', seq: '1000000' });
  });
});
