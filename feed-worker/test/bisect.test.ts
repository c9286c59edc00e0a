import { describe, expect, it } from 'vitest';
import { halves } from '../src/bisect.js';

describe('halves', () => {
  it('splits in two halves, order kept', () => {
    expect(halves([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(() => halves([1])).toThrow();
  });
});
