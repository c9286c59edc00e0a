/**
 * The organisation (who is in which team, which team in which department) is derived at read
 * time from the feed's own events (see feed-store's organisation/), so writers share no lock
 * and keep no state for it. This adds what reading it needs:
 *
 * - `feed_org_snapshots`: `organisation.snapshot` events, which seed the organisation and are
 *   never items of the feed. They take positions from the feed's own sequence and transaction
 *   id, so they are folded in the feed's order and below the same visibility horizon.
 * - Two small partial indexes for the events about a team or a department (by the id in their
 *   data, ending in the position), so a team's or a department's page is index range scans.
 */
export const sql = `
create table feed_org_snapshots (
  xid xid8 not null default pg_current_xact_id(),
  seq bigint not null default nextval('feed_events_seq_seq'),
  source text not null,
  event_id text not null,
  time timestamptz not null,
  data jsonb not null,
  stored_at timestamptz not null default now(),
  primary key (xid, seq),
  constraint feed_org_snapshots_source_event_id_key unique (source, event_id)
);

create index feed_events_team_pos on feed_events ((data->>'teamId'), xid desc, seq desc)
  where hidden_at is null and type = 'team.structure_changed';
create index feed_events_department_pos on feed_events ((data->>'departmentId'), xid desc, seq desc)
  where hidden_at is null and type = 'department.renamed';
`;
