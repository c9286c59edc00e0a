/**
 * Splits a group the database refused into two halves to try apart. Repeated, it isolates
 * the refused messages in about 2·k·log2(n) transactions for k bad messages among n, while
 * every good neighbour is stored. Groups are kept in delivery order.
 */
export function halves<T>(group: readonly T[]): [T[], T[]] {
  if (group.length < 2) throw new Error('a group of fewer than two cannot be split');
  const middle = Math.ceil(group.length / 2);
  return [group.slice(0, middle), group.slice(middle)];
}
