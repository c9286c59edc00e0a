import { describe, expect, it } from 'vitest';
import { formatTimeBack, timeBack, type Samples } from './progress.js';

describe('timeBack', () => {
  // Rises every 100 ms, stalls from 1000 to 2400, rises again.
  const samples: Samples = [];
  let count = 0;
  for (let at = 0; at <= 4000; at += 50) {
    if (at % 100 === 0 && (at < 1000 || at >= 2400)) count += 1;
    samples.push([at, count]);
  }

  it('is the longest stall after the fault, counted from the fault', () => {
    expect(timeBack(samples, 1050, 4000)).toBe(1350);
    expect(timeBack(samples, 900, 4000)).toBe(1500);
  });

  it('is about the sampling interval for a client the fault did not touch', () => {
    expect(timeBack(samples, 2500, 4000)).toBe(100);
  });

  it('is null for a client that never came back within the window', () => {
    expect(timeBack(samples, 1050, 2000)).toBeNull();
  });

  it('prints one row per client and one column per fault', () => {
    expect(formatTimeBack([{ name: 'leader kill', at: 1050, until: 4000 }], { sdk: samples })).toBe(
      ['client | leader kill', '-------|------------', 'sdk    |      1.35 s'].join('\n'),
    );
  });
});
