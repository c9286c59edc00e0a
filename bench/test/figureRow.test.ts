import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain ESM JavaScript without type declarations
import { figureRow } from '../lib/figureRow.mjs';

describe('figureRow', () => {
  it('divides ours by the baseline and checks a lower bound on the ratio', () => {
    const row = figureRow({
      figure: 'f',
      ours: 300,
      baseline: 200,
      unit: 'ev/s',
      target: { ratioAtLeast: 1.3 },
    });
    expect(row.ratio).toBe(1.5);
    expect(row.target).toBe('>= 1.3x');
    expect(row.verdict).toBe('pass');
    expect(
      figureRow({
        figure: 'f',
        ours: 100,
        baseline: 200,
        unit: 'ev/s',
        target: { ratioAtLeast: 1 },
      }).verdict,
    ).toBe('FAIL');
  });

  it('checks an upper bound on the ratio and an absolute bound on ours', () => {
    expect(
      figureRow({ figure: 'f', ours: 13, baseline: 10, unit: 'ms', target: { ratioAtMost: 1.2 } })
        .verdict,
    ).toBe('FAIL');
    expect(
      figureRow({ figure: 'f', ours: 12, baseline: 10, unit: 'ms', target: { ratioAtMost: 1.2 } })
        .verdict,
    ).toBe('pass');
    const absolute = figureRow({
      figure: 'f',
      ours: 30,
      baseline: 5,
      unit: 'ms',
      target: { oursBelow: 30 },
    });
    expect(absolute.target).toBe('< 30 ms');
    expect(absolute.verdict).toBe('FAIL');
  });

  it('reports a figure that could not be measured as n/a, and one without target as info', () => {
    const missing = figureRow({
      figure: 'f',
      ours: undefined,
      baseline: 10,
      unit: 'ms',
      target: { oursBelow: 30 },
    });
    expect(missing).toMatchObject({ ours: null, ratio: null, verdict: 'n/a' });
    expect(figureRow({ figure: 'f', ours: 1, baseline: 2, unit: 'ms' }).verdict).toBe('info');
    expect(figureRow({ figure: 'f', ours: 1, baseline: 0, unit: 'ms' }).ratio).toBeNull();
  });
});
