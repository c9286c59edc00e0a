import { describe, expect, it } from 'vitest';
import { encodeCursor, type StoredEvent } from '@feed/store';
import {
  cursorPosition,
  filterSearchParams,
  isEmptyFilter,
  matchesFilter,
  toEventFilter,
} from '../src/eventQuery.js';
import { isApiError } from '../src/apiErrors.js';

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (isApiError(error)) return `${error.statusCode} ${error.code} ${error.param}`;
    throw error;
  }
  return 'no error';
};

describe('toEventFilter', () => {
  it('accepts repeated and comma-separated types, without duplicates', () => {
    expect(toEventFilter({ type: ['a.b,c', 'd', 'a.b'] }).types).toEqual(['a.b', 'c', 'd']);
  });

  it('normalizes times to ISO and checks the range', () => {
    expect(toEventFilter({ since: '2026-01-01T10:00:00+02:00' }).since).toBe(
      '2026-01-01T08:00:00.000Z',
    );
    expect(
      codeOf(() => toEventFilter({ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' })),
    ).toBe('400 FEED_API_BAD_TIME_RANGE until');
    expect(
      codeOf(() => toEventFilter({ since: '2026-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z' })),
    ).toBe('400 FEED_API_BAD_TIME_RANGE until');
  });

  it('refuses what is not a type, and too many types', () => {
    expect(codeOf(() => toEventFilter({ type: ['a b'] }))).toBe('400 FEED_API_BAD_TYPE type');
    expect(codeOf(() => toEventFilter({ type: ['a,'] }))).toBe('400 FEED_API_BAD_TYPE type');
    const many = Array.from({ length: 21 }, (_, i) => `t${i}`).join(',');
    expect(codeOf(() => toEventFilter({ type: [many] }))).toBe('400 FEED_API_BAD_TYPE type');
  });

  it('knows an empty filter', () => {
    expect(isEmptyFilter(toEventFilter({}))).toBe(true);
    expect(isEmptyFilter(toEventFilter({ source: 'x' }))).toBe(false);
  });
});

describe('cursorPosition', () => {
  it('decodes our cursors and names the parameter of a bad one', () => {
    expect(cursorPosition('cursor', encodeCursor({ xid: '7', seq: '42' }))).toEqual({
      xid: '7',
      seq: '42',
    });
    // A cursor handed out before concurrent writes names an event stored before them (xid 0).
    expect(cursorPosition('cursor', Buffer.from('s42').toString('base64url'))).toEqual({
      xid: '0',
      seq: '42',
    });
    expect(codeOf(() => cursorPosition('cursor', 'nope'))).toBe('400 FEED_API_BAD_CURSOR cursor');
    expect(codeOf(() => cursorPosition('Last-Event-ID', 'nope'))).toBe(
      '400 FEED_API_BAD_LAST_EVENT_ID Last-Event-ID',
    );
  });
});

describe('matchesFilter', () => {
  const event: StoredEvent = {
    seq: '7',
    id: 'e',
    source: 'hr',
    type: 'employee.registered',
    time: '2026-01-01T10:00:00.000Z',
    subject: 'emp-1',
    actor: 'boss',
    data: {},
    reactions: {},
    storedAt: '2026-01-01T10:00:01.000Z',
  };

  it.each([
    [{}, true],
    [{ types: ['employee.registered', 'x'] }, true],
    [{ types: ['x'] }, false],
    [{ source: 'hr' }, true],
    [{ source: 'other' }, false],
    [{ actor: 'boss' }, true],
    [{ actor: 'other' }, false],
    [{ subject: 'emp-1' }, true],
    [{ subject: 'emp-2' }, false],
    [{ since: '2026-01-01T10:00:00.000Z' }, true],
    [{ since: '2026-01-01T10:00:00.001Z' }, false],
    [{ until: '2026-01-01T10:00:00.001Z' }, true],
    [{ until: '2026-01-01T10:00:00.000Z' }, false],
  ])('%o → %s (the store’s semantics: since inclusive, until exclusive)', (filter, expected) => {
    expect(matchesFilter(filter, event)).toBe(expected);
  });
});

describe('filterSearchParams', () => {
  it('writes the filter back as a query', () => {
    expect(
      filterSearchParams({
        types: ['a', 'b'],
        source: 's',
        since: '2026-01-01T00:00:00.000Z',
      }).toString(),
    ).toBe('type=a&type=b&source=s&since=2026-01-01T00%3A00%3A00.000Z');
  });
});
