import { describe, expect, it } from 'vitest';
import { RequestWindows } from '../src/requestWindows.js';

describe('RequestWindows', () => {
  it('counts per key within a window and starts again after it', () => {
    let now = 1_000;
    const windows = new RequestWindows(60_000, 100, () => now);
    expect(windows.hit('a')).toEqual({ count: 1, resetInMs: 60_000 });
    now += 15_000;
    expect(windows.hit('a')).toEqual({ count: 2, resetInMs: 45_000 });
    expect(windows.hit('b')).toEqual({ count: 1, resetInMs: 60_000 });
    expect(windows.read('a')).toEqual({ count: 2, resetInMs: 45_000 });
    now += 45_000;
    expect(windows.read('a')).toEqual({ count: 0, resetInMs: 0 });
    expect(windows.hit('a')).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('reads without counting', () => {
    const windows = new RequestWindows(60_000, 100, () => 0);
    expect(windows.read('a')).toEqual({ count: 0, resetInMs: 0 });
    windows.hit('a');
    windows.read('a');
    expect(windows.read('a').count).toBe(1);
  });

  it('keeps at most maxKeys keys, dropping the one whose window opened longest ago', () => {
    let now = 0;
    const windows = new RequestWindows(60_000, 2, () => now);
    windows.hit('a');
    now = 10;
    windows.hit('b');
    windows.hit('a');
    windows.hit('c');
    expect(windows.read('a').count).toBe(0);
    expect(windows.read('b').count).toBe(1);
    expect(windows.read('c').count).toBe(1);
    now = 60_000;
    windows.hit('a');
    windows.hit('a');
    windows.hit('c');
    expect(windows.read('b').count).toBe(0);
    expect(windows.read('a').count).toBe(2);
  });
});
