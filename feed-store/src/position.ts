/**
 * A place in the feed's one order (see 003_concurrent_writes): the writing transaction's id,
 * then the insert order within it. Both decimal strings (a transaction id is 64 bits).
 * Events and changes share the space: a list cursor, a stream id and a change all name one.
 */
export interface Position {
  xid: string;
  seq: string;
}

/** Before every event: where a stream from the start of the feed begins. */
export const feedStart: Position = { xid: '0', seq: '0' };

/**
 * The horizon just above a position's transaction. Everything older than a cursor the feed
 * handed out is final (its event was below a horizon, so every transaction that could write
 * at or below it had ended): a read below a cursor may read below this one instead of
 * computing a horizon of its own.
 */
export function horizonAbove(position: Position): string {
  return String(BigInt(position.xid) + 1n);
}

export function comparePositions(a: Position, b: Position): number {
  return compareDecimal(a.xid, b.xid) || compareDecimal(a.seq, b.seq);
}

/**
 * Two non-negative decimal strings compared as numbers, without turning them into BigInts
 * (a live reader sorts every look): digits of equal length compare as text, and without
 * leading zeros the longer is the larger.
 */
function compareDecimal(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === b.length) return a < b ? -1 : 1;
  if (a[0] !== '0' && b[0] !== '0') return a.length < b.length ? -1 : 1;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

export function laterPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
