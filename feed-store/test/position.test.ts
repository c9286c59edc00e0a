import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePositions } from '../src/position.js';

const decimal = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
/** The same number as it may arrive: with leading zeros (a hand-made cursor) or without. */
const spelled = (n: bigint) => fc.nat({ max: 3 }).map((zeros) => '0'.repeat(zeros) + n.toString());

describe('comparePositions', () => {
  it('orders by transaction id, then by seq, as numbers, however the digits are spelled', () => {
    fc.assert(
      fc.property(
        decimal.chain((x) => fc.tuple(fc.constant(x), spelled(x))),
        decimal.chain((x) => fc.tuple(fc.constant(x), spelled(x))),
        decimal.chain((s) => fc.tuple(fc.constant(s), spelled(s))),
        decimal.chain((s) => fc.tuple(fc.constant(s), spelled(s))),
        ([xa, xaText], [xb, xbText], [sa, saText], [sb, sbText]) => {
          const expected = xa !== xb ? (xa < xb ? -1 : 1) : sa === sb ? 0 : sa < sb ? -1 : 1;
          expect(comparePositions({ xid: xaText, seq: saText }, { xid: xbText, seq: sbText })).toBe(
            expected,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('puts transaction 10 after 9 and seq 100 after 99', () => {
    expect(comparePositions({ xid: '9', seq: '5' }, { xid: '10', seq: '1' })).toBe(-1);
    expect(comparePositions({ xid: '10', seq: '100' }, { xid: '10', seq: '99' })).toBe(1);
    expect(comparePositions({ xid: '0', seq: '0' }, { xid: '0', seq: '0' })).toBe(0);
  });
});
