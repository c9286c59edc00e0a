import type { Position } from './position.js';

/**
 * Opaque cursors for keyset pagination and stream resumption: a position in base64url, so
 * clients cannot be tempted to compute with it, and the encoding can change. `p<xid>.<seq>`
 * since concurrent writes; the cursors handed out before (`s<seq>`) name positions of events
 * stored before the migration, which all have transaction id 0, and keep working.
 */
export function encodeCursor(position: Position): string {
  return Buffer.from(`p${position.xid}.${position.seq}`).toString('base64url');
}

/**
 * The same cursor computed by PostgreSQL, from SQL expressions of the position (an xid8 and
 * a bigint), for the queries that build their JSON in the database (listPageJson): base64
 * without its `=` padding, then `+/` → `-_`. A change to encodeCursor is a change here; the
 * store's tests compare the two for positions of every length.
 */
export function cursorSql(xid: string, seq: string): string {
  return `translate(rtrim(encode(convert_to('p' || ${xid}::text || '.' || ${seq}::text, 'UTF8'), 'base64'), '='), '+/', '-_')`;
}

const maxBigint = 9_223_372_036_854_775_807n;
/** xid8 is unsigned 64-bit. */
const maxXid = 18_446_744_073_709_551_615n;

/** Returns the position a cursor names, or null when it is not a cursor of ours. */
export function decodeCursor(cursor: string): Position | null {
  if (cursor.length === 0 || cursor.length > 60 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const legacy = /^s([1-9][0-9]{0,18})$/.exec(text);
  if (legacy !== null)
    return BigInt(legacy[1]!) <= maxBigint ? { xid: '0', seq: legacy[1]! } : null;
  const match = /^p(0|[1-9][0-9]{0,19})\.([1-9][0-9]{0,18})$/.exec(text);
  if (match === null) return null;
  if (BigInt(match[1]!) > maxXid || BigInt(match[2]!) > maxBigint) return null;
  return { xid: match[1]!, seq: match[2]! };
}
