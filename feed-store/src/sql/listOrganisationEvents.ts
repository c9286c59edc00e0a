import { organisationSnapshotType, organisationTypes } from '@feed/contracts';
import type { OrgEvent } from '../organisation/organisation.js';
import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';

export interface ListOrganisationEventsOptions {
  /** Only events after this position. */
  after: Position;
  /** The visibility horizon to read below: an explicit one, so the reader knows where it is. */
  horizon: string;
  limit: number;
}

/**
 * The events the organisation is folded from, oldest first: the visible, not hidden events of
 * the organisation's types (by the type index) and the snapshots, merged in the feed's order.
 */
export async function listOrganisationEvents(
  client: Queryable,
  { after, horizon, limit }: ListOrganisationEventsOptions,
): Promise<OrgEvent[]> {
  const { rows } = await client.query<OrgEvent>(
    `select xid::text as xid, seq::text as seq, type, data from (
       (select xid, seq, type, data from feed_events
         where type = any($1::text[]) and hidden_at is null
           and (xid, seq) > ($2::xid8, $3::bigint) and xid < $4::xid8
         order by feed_events.xid, feed_events.seq limit $5)
       union all
       (select xid, seq, $6::text, data from feed_org_snapshots
         where (xid, seq) > ($2::xid8, $3::bigint) and xid < $4::xid8
         order by feed_org_snapshots.xid, feed_org_snapshots.seq limit $5)
     ) org order by org.xid, org.seq limit $5`,
    [organisationTypes, after.xid, after.seq, horizon, limit, organisationSnapshotType],
  );
  return rows;
}

/**
 * Whether an event of the organisation left the feed (hidden or erased) after a position,
 * below the horizon: then what was folded from it must be folded again without it.
 */
export async function organisationRemovedAfter(
  client: Queryable,
  { after, horizon }: { after: Position; horizon: string },
): Promise<boolean> {
  const { rows } = await client.query(
    `select 1 from feed_changes
      where kind = 'removed' and type = any($1::text[])
        and (xid, seq) > ($2::xid8, $3::bigint) and xid < $4::xid8
      limit 1`,
    [[...organisationTypes, organisationSnapshotType], after.xid, after.seq, horizon],
  );
  return rows.length > 0;
}
