import { readPageRows, type PageColumns, type PageRow } from '../eventJson.js';
import type { Queryable } from '../pool.js';
import type { ListEventsOptions } from './listEvents.js';
import { pageQuery } from './listPageJson.js';
import { scopePageQuery, type ListScopePageOptions } from './listScopePageJson.js';

/** What grouping looks at, beside the item's JSON: a few fields of the event, as text. */
export interface GroupRow extends PageRow {
  type: string;
  source: string;
  teamId: string | null;
  team: string | null;
  change: string | null;
  departmentId: string | null;
  name: string | null;
  from: string | null;
  to: string | null;
}

const groupColumns: PageColumns = [
  ['type', 'type'],
  ['source', 'source'],
  ...['teamId', 'team', 'change', 'departmentId', 'name', 'from', 'to'].map(
    (key) => [key, `data->>'${key}'`] as const,
  ),
];

/**
 * `limit + 1` rows of a page, newest first (the feed's, a filter's, or a team's or
 * department's when `scope` is given), each with its item's JSON and the fields that the
 * service's grouping rule reads, so no row is parsed into an object.
 */
export async function listGroupRows(
  client: Queryable,
  options: ListEventsOptions | ListScopePageOptions,
): Promise<GroupRow[]> {
  if ('scope' in options) {
    const { text, params } = scopePageQuery(options, groupColumns);
    return readPageRows<GroupRow>(client, 'feed-scope-group', text, params);
  }
  const { text, params } = pageQuery(options, groupColumns);
  return readPageRows<GroupRow>(client, 'feed-group', text, params);
}
