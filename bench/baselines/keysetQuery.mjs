/**
 * The keyset baseline's query (keysetServer.mjs): a page newest first by the feed's position
 * (xid, seq), below `before` when given, of one `type` when given, the reaction counters
 * joined. The bench's tools time the same statement beside ours.
 */
export function keysetQuery({ before, type, limit }) {
  const values = [];
  const where = ['hidden_at is null'];
  if (type) {
    values.push(type);
    where.push(`type = $${values.length}`);
  }
  if (before) {
    values.push(before.xid, before.seq);
    where.push(`(xid, seq) < ($${values.length - 1}::xid8, $${values.length}::bigint)`);
  }
  values.push(limit);
  return {
    text: `select xid::text as xid, seq, event_id, source, type, time, subject, actor, data,
            coalesce(c.counts, '{}'::jsonb) as reactions, stored_at
       from feed_events
       left join feed_reaction_counts c
         on c.target_source = feed_events.source and c.target_id = feed_events.event_id
      where ${where.join(' and ')}
      order by feed_events.xid desc, feed_events.seq desc limit $${values.length}`,
    values,
  };
}
