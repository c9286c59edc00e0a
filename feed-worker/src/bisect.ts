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

/** What to do with a group after the database refused it. */
export type RefusalStep<T> = { park: T } | { retry: [T[], T[]] };

export function afterRefusal<T>(group: readonly T[]): RefusalStep<T> {
  if (group.length === 1) return { park: group[0]! };
  return { retry: halves(group) };
}
