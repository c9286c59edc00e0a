import { describe, expect, it } from 'vitest';
import { isOneKeyFilter } from '../src/eventRow.js';

describe('isOneKeyFilter', () => {
  it('holds for one value of one indexed column, and for nothing else', () => {
    expect(isOneKeyFilter({ types: ['employee.registered'] })).toBe(true);
    expect(isOneKeyFilter({ source: 'registrar' })).toBe(true);
    expect(isOneKeyFilter({ actor: 'p-1' })).toBe(true);
    expect(isOneKeyFilter({ subject: 'p-1' })).toBe(true);
    expect(isOneKeyFilter({})).toBe(false);
    expect(isOneKeyFilter({ types: [] })).toBe(false);
    expect(isOneKeyFilter({ types: ['a', 'b'] })).toBe(false);
    expect(isOneKeyFilter({ types: ['a'], source: 'registrar' })).toBe(false);
    expect(isOneKeyFilter({ actor: 'p-1', since: '2026-01-01T00:00:00Z' })).toBe(false);
    expect(isOneKeyFilter({ source: 'registrar', until: '2026-01-01T00:00:00Z' })).toBe(false);
  });
});
