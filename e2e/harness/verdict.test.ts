import { describe, expect, it } from 'vitest';
import { eventKey } from './ledger.js';
import { formatTable } from './summary.js';
import { judgeDelivery } from './verdict.js';

const letter = (messageId: string, code: string) => ({
  messageId,
  bodyBytes: 1,
  headers: { 'x-code': code },
});
const codeOf = (l: { headers: Record<string, unknown> }) => l.headers['x-code'] as string;

describe('judgeDelivery', () => {
  it('passes when the stored set equals the confirmed set and every poison is parked', () => {
    const verdict = judgeDelivery({
      confirmed: new Set([eventKey('s', '1'), eventKey('s', '2')]),
      stored: [
        { source: 's', id: '2' },
        { source: 's', id: '1' },
      ],
      expectedParked: new Map([['bad', 'FEED_ERR_NOT_JSON']]),
      dead: [letter('bad', 'FEED_ERR_NOT_JSON')],
      codeOf,
    });
    expect(verdict).toMatchObject({
      published: 2,
      stored: 2,
      lost: [],
      storedTwice: [],
      unconfirmedStored: [],
      parkedWrong: [],
      parkedUnexpected: [],
      parked: 1,
    });
  });

  it('reports a lost, a repeated and an unconfirmed event, and wrong parking', () => {
    const verdict = judgeDelivery({
      confirmed: new Set([eventKey('s', '1'), eventKey('s', '2')]),
      stored: [
        { source: 's', id: '1' },
        { source: 's', id: '1' },
        { source: 's', id: '3' },
      ],
      expectedParked: new Map([
        ['bad', 'FEED_ERR_NOT_JSON'],
        ['gone', 'FEED_ERR_SCHEMA'],
      ]),
      dead: [letter('bad', 'FEED_ERR_SCHEMA'), letter('good', 'FEED_ERR_SCHEMA')],
      codeOf,
    });
    expect(verdict.lost).toEqual([eventKey('s', '2')]);
    expect(verdict.storedTwice).toEqual([eventKey('s', '1')]);
    expect(verdict.unconfirmedStored).toEqual([eventKey('s', '3')]);
    expect(verdict.parkedWrong).toEqual([
      'bad: FEED_ERR_SCHEMA != FEED_ERR_NOT_JSON',
      'gone: missing',
    ]);
    expect(verdict.parkedUnexpected).toEqual(['good']);
  });
});

describe('formatTable', () => {
  it('prints one aligned line per scenario', () => {
    expect(
      formatTable([
        {
          scenario: 'cut',
          published: 1200,
          stored: 1200,
          duplicatesAbsorbed: 3,
          parked: 0,
          lost: 0,
        },
      ]),
    ).toBe(
      [
        'scenario | published | stored | duplicates absorbed | parked | lost',
        '---------|-----------|--------|---------------------|--------|-----',
        'cut      |      1200 |   1200 |                   3 |      0 |    0',
      ].join('\n'),
    );
  });
});
