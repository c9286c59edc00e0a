import { describe, expect, it } from 'vitest';
import { afterRefusal, halves } from '../src/bisect.js';

/** Plays the bisection against a database that refuses any group holding a bad item. */
function isolate(
  items: number[],
  bad: Set<number>,
): { stored: number[]; parked: number[]; tries: number } {
  const stored: number[] = [];
  const parked: number[] = [];
  const stack = [items];
  let tries = 0;
  while (stack.length > 0) {
    const group = stack.pop()!;
    tries += 1;
    if (!group.some((n) => bad.has(n))) {
      stored.push(...group);
      continue;
    }
    const step = afterRefusal(group);
    if ('park' in step) parked.push(step.park);
    else stack.push(step.retry[1], step.retry[0]);
  }
  return { stored, parked, tries };
}

describe('bisection of a refused batch', () => {
  it('splits in two halves, order kept', () => {
    expect(halves([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(() => halves([1])).toThrow();
  });

  it('parks exactly the bad messages and stores every neighbour, in order', () => {
    const items = Array.from({ length: 500 }, (_, i) => i);
    const bad = new Set([0, 17, 18, 250, 499]);
    const { stored, parked, tries } = isolate(items, bad);
    expect(parked).toEqual([0, 17, 18, 250, 499]);
    expect(stored).toEqual(items.filter((n) => !bad.has(n)));
    // About 2·k·log2(n) transactions, far from one per message.
    expect(tries).toBeLessThan(2 * bad.size * Math.ceil(Math.log2(items.length)) + 1);
  });

  it('parks a lone bad message at once', () => {
    expect(afterRefusal(['x'])).toEqual({ park: 'x' });
  });
});
