/**
 * Events and reactions as first created. Here `seq` alone was the feed's order, assigned
 * under a lock held until commit; since 003_concurrent_writes the order is `(xid, seq)` and
 * readers see what lies below the visibility horizon (see that migration and the store's
 * README). The SQL below is as it was applied: a migration is never edited.
 */
export const sql = `
create table feed_events (
  seq bigint generated always as identity primary key,
  source text not null,
  event_id text not null,
  type text not null,
  time timestamptz not null,
  subject text,
  actor text,
  data jsonb,
  reactions jsonb not null default '{}'::jsonb,
  stored_at timestamptz not null default now(),
  hidden_at timestamptz,
  erased_at timestamptz,
  constraint feed_events_source_event_id_key unique (source, event_id)
);

-- One index per filter the API offers, each ending in seq so a filtered keyset page is an
-- index range scan at any depth. Hidden events are outside them: they leave every list.
create index feed_events_visible_seq on feed_events (seq desc) where hidden_at is null;
create index feed_events_type_seq on feed_events (type, seq desc) where hidden_at is null;
create index feed_events_source_seq on feed_events (source, seq desc) where hidden_at is null;
create index feed_events_actor_seq on feed_events (actor, seq desc) where hidden_at is null;
create index feed_events_subject_seq on feed_events (subject, seq desc) where hidden_at is null;
create index feed_events_time on feed_events (time) where hidden_at is null;

-- One row per person, target and kind of reaction: the latest of "added" or "removed" wins
-- by event time, so redeliveries and out-of-order arrival give the same counts, and a
-- reaction to an event that is not stored yet waits here until it is.
create table feed_reactions (
  target_source text not null,
  target_id text not null,
  actor text not null,
  reaction text not null,
  active boolean not null,
  changed_at timestamptz not null,
  primary key (target_source, target_id, actor, reaction)
);
create index feed_reactions_actor on feed_reactions (actor);
`;
