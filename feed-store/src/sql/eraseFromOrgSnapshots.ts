import { organisationSnapshotType } from '@feed/contracts';
import type { Queryable } from '../pool.js';

/**
 * Takes a person out of every organisation snapshot that lists them, and records each
 * snapshot changed as a `removed` change of an organisation event: readers of the
 * organisation fold it again without them. Run inside erasePerson's transaction.
 */
export async function eraseFromOrgSnapshots(client: Queryable, person: string): Promise<number> {
  const { rowCount } = await client.query(
    `with erased as (
       update feed_org_snapshots s
          set data = jsonb_set(s.data, '{employees}', coalesce(
                (select jsonb_agg(e) from jsonb_array_elements(s.data->'employees') e
                  where e->>'employeeId' is distinct from $1), '[]'::jsonb))
        where s.data->'employees' @> jsonb_build_array(jsonb_build_object('employeeId', $1::text))
       returning s.source, s.event_id, s.time
     )
     insert into feed_changes (kind, target_source, target_id, type, time)
     select 'removed', source, event_id, $2, time from erased`,
    [person, organisationSnapshotType],
  );
  return rowCount ?? 0;
}
