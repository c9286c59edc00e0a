import { describe, expect, it } from 'vitest';
import { classifyDatabaseError } from '../src/databaseErrors.js';

describe('classifyDatabaseError', () => {
  it('passing failures are transient', () => {
    for (const code of [
      '08006',
      '40001',
      '40P01',
      '53300',
      '57P01',
      '57P03',
      '55P03',
      '28P01',
      '3D000',
      '55000',
      'ECONNREFUSED',
      'ECONNRESET',
    ])
      expect(classifyDatabaseError({ code }), code).toBe('transient');
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(
      'transient',
    );
  });
  it('rows the database refuses are data errors', () => {
    for (const code of ['22P05', '22021', '23502', '54000'])
      expect(classifyDatabaseError({ code }), code).toBe('data');
  });
  it('anything else is unknown', () => {
    expect(classifyDatabaseError({ code: '42P01' })).toBe('unknown');
    // A statement timeout may be one row's fault: bounded tries, then the probe decides.
    expect(classifyDatabaseError({ code: '57014' })).toBe('unknown');
    expect(classifyDatabaseError(new Error('something else'))).toBe('unknown');
    expect(classifyDatabaseError(undefined)).toBe('unknown');
  });
});
