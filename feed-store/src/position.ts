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

export function comparePositions(a: Position, b: Position): number {
  const xa = BigInt(a.xid);
  const xb = BigInt(b.xid);
  if (xa !== xb) return xa < xb ? -1 : 1;
  const sa = BigInt(a.seq);
  const sb = BigInt(b.seq);
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

export function laterPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
