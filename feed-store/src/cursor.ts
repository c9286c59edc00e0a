/**
 * Opaque cursors for keyset pagination and stream resumption. A cursor is a `seq` in
 * base64url, so clients cannot be tempted to compute with it, and the encoding can change.
 */
export function encodeCursor(seq: string): string {
  return Buffer.from(`s${seq}`).toString('base64url');
}

/**
 * The same cursor computed by PostgreSQL, from the SQL expression `seq` (a bigint), for the
 * queries that build their JSON in the database (listPageJson): base64 without its `=`
 * padding, then `+/` → `-_`. A change to encodeCursor is a change here; the store's tests
 * compare the two for seqs of every length up to the largest bigint.
 */
export function cursorSql(seq: string): string {
  return `translate(rtrim(encode(convert_to('s' || ${seq}::text, 'UTF8'), 'base64'), '='), '+/', '-_')`;
}

/** Returns the `seq` a cursor names, or null when it is not a cursor of ours. */
export function decodeCursor(cursor: string): string | null {
  if (cursor.length === 0 || cursor.length > 40 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^s([1-9][0-9]{0,18})$/.exec(text);
  if (match === null) return null;
  // bigint range: a longer number cannot be a seq.
  return BigInt(match[1]!) <= 9_223_372_036_854_775_807n ? match[1]! : null;
}
