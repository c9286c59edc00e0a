import { readPageRows, type PageColumns, type PageRow } from '../eventJson.js';
import type { Queryable } from '../pool.js';
import type { ListEventsOptions } from './listEvents.js';
import { pageQuery } from './listPageJson.js';
import { scopePageQuery, type ListScopePageOptions } from './listScopePageJson.js';

/**
 * What grouping looks at, beside the item's JSON: the event's group key; and the event's
 * key, which names what the page shows to a cache that keeps it until one of them changes.
 */
export interface GroupRow extends PageRow {
  key: string;
  source: string;
  id: string;
}

/** A text field of the event's data, as the service reads it: null unless a JSON string. */
const text = (field: string) =>
  `case when jsonb_typeof(data->'${field}') = 'string' then data->>'${field}' end`;

/**
 * The key of `group=similar`, computed where the row is read: the same rule as feed-service's
 * groupKey (grouping.ts) applied to groupFieldsOf the event, which the service's tests hold it
 * to. A page of events that are each alone then needs nothing of a row beyond its item and
 * this key; a group's summary reads its members' items.
 */
const groupKeySql = `case type
    when 'employee.registered' then 'joined:' || coalesce(${text('teamId')}, ${text('team')}, '')
    when 'employee.position_changed' then 'position:' || coalesce(${text('teamId')}, ${text('team')}, '')
    when 'team.structure_changed' then 'team:' || coalesce(${text('change')}, '')
    when 'department.renamed' then 'department:' || coalesce(${text('departmentId')}, '')
    else 'type:' || type || ':' || source end`;

const groupColumns: PageColumns = [
  ['key', groupKeySql],
  ['source', 'source'],
  ['id', 'event_id'],
];

/**
 * `limit + 1` rows of a page, newest first (the feed's, a filter's, or a team's or
 * department's when `scope` is given), each with its item's JSON and its group key, so no
 * row is parsed into an object.
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
