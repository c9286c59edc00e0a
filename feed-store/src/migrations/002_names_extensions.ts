/**
 * What a tolerant wire contract keeps beside an event: the display names of actor and subject
 * objects (`{"id": "hr-7", "name": "HR bot"}` stores `actor` 'hr-7' and `actor_name` 'HR
 * bot'; filters and erasure still match the id), and the extension attributes of the body
 * (a `summary`, a `traceparent`), null when it had none. All nullable and without defaults:
 * adding them rewrites no row.
 */
export const sql = `
alter table feed_events
  add column actor_name text,
  add column subject_name text,
  add column extensions jsonb;
`;
