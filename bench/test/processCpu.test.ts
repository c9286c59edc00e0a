import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain ESM JavaScript without type declarations
import { hostBusyPercent, hostTicks } from '../lib/processCpu.mjs';

describe('hostBusyPercent', () => {
  it('is the share of the ticks between two readings that were busy', () => {
    expect(hostBusyPercent({ busy: 100, total: 400 }, { busy: 250, total: 600 })).toBe(75);
    expect(hostBusyPercent({ busy: 100, total: 400 }, { busy: 100, total: 600 })).toBe(0);
  });

  it('has no share when no time passed', () => {
    expect(hostBusyPercent({ busy: 1, total: 5 }, { busy: 1, total: 5 })).toBeNull();
  });

  it('reads busy ticks within the total from /proc/stat', () => {
    const { busy, total } = hostTicks() as { busy: number; total: number };
    expect(total).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(0);
    expect(busy).toBeLessThan(total);
  });
});
