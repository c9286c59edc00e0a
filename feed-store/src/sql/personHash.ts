/**
 * The SQL of a person's hash in a change (see 004_changes): SHA-256 of the id, hex. The same
 * as `personHash` computes in JavaScript, for the streams' filters.
 */
export function personHashSql(expression: string): string {
  return `encode(sha256(convert_to(${expression}, 'UTF8')), 'hex')`;
}
