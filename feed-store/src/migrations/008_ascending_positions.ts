/**
 * The position indexes ascending. A new row takes the highest position of all, and of its
 * type, source, actor and subject: in an ascending index its entry goes where the entries
 * rise, a case PostgreSQL's B-tree knows (since version 12): a full page is split at the new
 * entry, leaving the old page full, and the index of all positions takes it at its right end
 * without a search from the root. In the descending indexes of 003 the entries went where
 * they fall, a case it does not know: each split halved a page that no insert would fill
 * again, and every insert searched from the root. Readers read the same index backwards for
 * newest first.
 *
 * Each new index is built under a name of its own while readers go on (writes wait), then the
 * old ones are dropped and the new ones take their names; the drops' exclusive lock lasts
 * from there to the commit.
 */
const indexes: ReadonlyArray<readonly [name: string, key: string]> = [
  ['feed_events_visible_pos', 'xid, seq'],
  ...['type', 'source', 'actor', 'subject'].map(
    (column) => [`feed_events_${column}_pos`, `${column}, xid, seq`] as const,
  ),
];

export const sql = [
  ...indexes.map(
    ([name, key]) => `create index ${name}_new on feed_events (${key}) where hidden_at is null;`,
  ),
  ...indexes.map(([name]) => `drop index ${name};`),
  ...indexes.map(([name]) => `alter index ${name}_new rename to ${name};`),
].join('\n');
