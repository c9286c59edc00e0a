/**
 * Changes to events already in the feed, in the feed's one order: an event's reaction
 * counters changed (`reactions`, with the new counters), or an event left the feed
 * (`removed`: hidden or erased). Each has a position like an event's, from the same sequence
 * and transaction id, so a stream's `Last-Event-ID` resumes across events and changes alike,
 * below the same horizon.
 *
 * A change keeps what a stream's filter matches on as the target event was when it changed:
 * its type, source and time, and the SHA-256 (hex) of its actor and subject. The hashes let a
 * stream filtered by a person who is then erased still get the removals, while no change
 * carries the person's id or anything else erasure removes.
 */
export const sql = `
create table feed_changes (
  xid xid8 not null default pg_current_xact_id(),
  seq bigint not null default nextval('feed_events_seq_seq'),
  kind text not null check (kind in ('reactions', 'removed')),
  target_source text not null,
  target_id text not null,
  counts jsonb,
  type text,
  time timestamptz,
  actor_hash text,
  subject_hash text,
  changed_at timestamptz not null default now(),
  primary key (xid, seq)
);
`;
