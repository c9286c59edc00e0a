import {
  departmentScope,
  departmentView,
  encodeCursor,
  findDepartment,
  findTeam,
  listScopePageJson,
  teamScope,
  teamView,
  type EventFilter,
  type OrgScope,
  type OrgUnitView,
  type Organisation,
  type OrganisationReader,
  type Position,
  type Queryable,
  type ScopePositions,
} from '@feed/store';
import { ApiError, ApiErrorCode } from './apiErrors.js';
import { isEmptyFilter } from './eventQuery.js';
import { encodedBody, type FeedPage } from './eventView.js';
import type { ReadRouter } from './readRouter.js';

/** The `team` and `department` parameters of GET /events. */
export interface OrgQuery {
  team?: string | undefined;
  department?: string | undefined;
}

export function isOrgQuery(query: OrgQuery): boolean {
  return query.team !== undefined || query.department !== undefined;
}

export interface OrgPageRequest {
  org: OrgQuery;
  filter: EventFilter;
  before: Position | undefined;
  limit: number;
}

/** What a team or department parameter resolved to, beside the page. */
export interface ResolvedScope {
  team?: OrgUnitView;
  department?: OrgUnitView;
}

/** A team or department resolved against the organisation, and where to read its page. */
export interface ResolvedOrg {
  client: Queryable;
  /** The horizon the organisation was folded below: read the page below it too. */
  horizon: string;
  organisation: Organisation;
  scope: OrgScope;
  /** Names the scope among those ScopePositions keeps. */
  key: string;
  resolved: ResolvedScope;
}

/**
 * Folds the organisation below the read's horizon (OrganisationReader) and finds the team or
 * department by id or name (a former name included): the page is then read below that same
 * horizon, so every event is judged by the organisation as it stood at its position.
 */
export async function resolveOrg(
  organisations: OrganisationReader,
  readRouter: ReadRouter,
  org: OrgQuery,
  before?: Position,
): Promise<ResolvedOrg> {
  if (org.team !== undefined && org.department !== undefined)
    throw new ApiError(400, ApiErrorCode.BadFilter, 'team and department: ask for one of them', {
      param: 'department',
    });
  // A page below a cursor reads below the live feed's horizon or just above the cursor
  // (ReadRouter): no horizon of its own to compute. The top computes the current one.
  const reader = await readRouter.reader(before);
  const { organisation, horizon } = await organisations.read(reader.client, reader.horizon);
  const base = { client: reader.client, horizon, organisation };
  if (org.team !== undefined) {
    const team = findTeam(organisation, org.team);
    if (team === undefined)
      throw new ApiError(
        404,
        ApiErrorCode.UnknownTeam,
        `team: the feed knows no team "${org.team.slice(0, 200)}" (by id or by any name it had)`,
        { param: 'team' },
      );
    return {
      ...base,
      scope: teamScope(organisation, team.id),
      key: `team:${team.id}`,
      resolved: { team: teamView(organisation, team) },
    };
  }
  const department = findDepartment(organisation, org.department!);
  if (department === undefined)
    throw new ApiError(
      404,
      ApiErrorCode.UnknownDepartment,
      `department: the feed knows no department "${org.department!.slice(0, 200)}" (by id or by any name it had)`,
      { param: 'department' },
    );
  return {
    ...base,
    scope: departmentScope(organisation, department.id),
    key: `department:${department.id}`,
    resolved: { department: departmentView(organisation, department.id) },
  };
}

/** Where a team's or department's pages come from: the organisation, the kept positions. */
export interface OrgReaders {
  organisations: OrganisationReader;
  scopePositions: ScopePositions;
}

/**
 * A page of what happened in a team or a department (see resolveOrg): without other filters
 * from the scope's kept positions (ScopePositions), else, or for a scope too large to keep,
 * by its scans.
 */
export async function readOrgPage(
  { organisations, scopePositions }: OrgReaders,
  readRouter: ReadRouter,
  { org, filter, before, limit }: OrgPageRequest,
): Promise<FeedPage> {
  const { client, horizon, organisation, scope, key, resolved } = await resolveOrg(
    organisations,
    readRouter,
    org,
    before,
  );
  const kept = isEmptyFilter(filter)
    ? await scopePositions.page(client, { key, scope, organisation, horizon, before, limit })
    : undefined;
  const { items, next } =
    kept ?? (await listScopePageJson(client, { ...filter, scope, before, limit, horizon }));
  const nextCursor = next === null ? null : encodeCursor(next);
  const body = `{"items":${items},"nextCursor":${JSON.stringify(nextCursor)},"scope":${JSON.stringify(resolved)}}`;
  return { ...encodedBody(body), nextCursor };
}
