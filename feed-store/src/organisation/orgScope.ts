import { current, intersectSpans, spansWhere, type Since, type Span } from './history.js';
import type { Organisation, Team } from './organisation.js';

/** A person or team during a span of the feed. */
export interface ScopeSpan extends Span {
  id: string;
}

/**
 * What "happened in" a team or department: events whose subject or actor is one of `people`
 * within their span, team events (`team.structure_changed`) of `teams` within theirs, and
 * department events (`department.renamed`) of `departments`.
 */
export interface OrgScope {
  people: ScopeSpan[];
  teams: ScopeSpan[];
  departments: string[];
}

/** How the API names what a filter resolved to: the current name, the former ones. */
export interface OrgUnitView {
  id: string;
  name: string;
  formerNames: string[];
  /** Teams merged into this one, shown under it (teams only). */
  merged?: { id: string; name: string }[];
}

const everywhere: Span = { from: { xid: '0', seq: '0' }, to: null };

/**
 * A team or department by id, else by name: the current name first (case-insensitive),
 * then the latest to have held it, so a former name finds the same unit.
 */
export function findTeam(org: Organisation, key: string): Team | undefined {
  return org.teams.get(key) ?? lookUp(org.teams.values(), key);
}

export function findDepartment(org: Organisation, key: string) {
  const found = org.departments.get(key) ?? lookUp(org.departments.values(), key);
  return found?.aliasOf === undefined ? found : org.departments.get(found.aliasOf);
}

function lookUp<T extends { names: Since<string>[] }>(all: Iterable<T>, key: string) {
  const wanted = key.toLowerCase();
  let former: T | undefined;
  for (const item of all) {
    if (current(item.names)?.toLowerCase() === wanted) return item;
    if (item.names.some((n) => n.value.toLowerCase() === wanted)) former = item;
  }
  return former;
}

/** A team and, in turn, every team merged into it. */
function withMerged(org: Organisation, teamId: string): string[] {
  const ids = [teamId];
  for (let i = 0; i < ids.length; i++)
    for (const merged of org.teams.get(ids[i]!)?.merged ?? [])
      if (!ids.includes(merged)) ids.push(merged);
  return ids;
}

/** The people of some teams, each during the spans that `within` gives for the team. */
function peopleOf(org: Organisation, teamSpans: Map<string, Span[]>): ScopeSpan[] {
  const people: ScopeSpan[] = [];
  for (const [teamId, within] of teamSpans)
    for (const personId of org.teamPeople.get(teamId) ?? []) {
      const spans = spansWhere(org.people.get(personId)!.teams, (t) => t === teamId);
      for (const span of intersectSpans(spans, within)) people.push({ id: personId, ...span });
    }
  return people;
}

/** A team's scope: its whole history and that of every team merged into it. */
export function teamScope(org: Organisation, teamId: string): OrgScope {
  const teams = new Map(withMerged(org, teamId).map((id) => [id, [everywhere]]));
  return {
    people: peopleOf(org, teams),
    teams: [...teams.keys()].map((id) => ({ id, ...everywhere })),
    departments: [],
  };
}

/** A department's scope: its teams while they were in it, their people while in them. */
export function departmentScope(org: Organisation, departmentId: string): OrgScope {
  const ids = [departmentId, ...(org.departments.get(departmentId)?.aliases ?? [])];
  const teams = new Map<string, Span[]>();
  for (const id of ids)
    for (const teamId of org.departmentTeams.get(id) ?? []) {
      const spans = spansWhere(
        org.teams.get(teamId)!.departments,
        (d) => d !== null && ids.includes(d),
      );
      if (spans.length > 0) teams.set(teamId, spans);
    }
  return {
    people: peopleOf(org, teams),
    teams: [...teams].flatMap(([id, spans]) => spans.map((span) => ({ id, ...span }))),
    departments: ids,
  };
}

function names(history: { value: string }[]): { name: string; formerNames: string[] } {
  const all = history.map((n) => n.value);
  const name = all.at(-1) ?? '';
  return { name, formerNames: [...new Set(all.slice(0, -1))].filter((n) => n !== name) };
}

export function teamView(org: Organisation, team: Team): OrgUnitView {
  return {
    id: team.id,
    ...names(team.names),
    merged: withMerged(org, team.id)
      .slice(1)
      .map((id) => ({ id, name: current(org.teams.get(id)!.names) ?? id })),
  };
}

export function departmentView(org: Organisation, departmentId: string): OrgUnitView {
  const department = org.departments.get(departmentId)!;
  const aliasNames = department.aliases.flatMap((id) => org.departments.get(id)!.names);
  const view = names(department.names);
  const former = aliasNames.map((n) => n.value).filter((n) => n !== view.name);
  return {
    id: departmentId,
    name: view.name,
    formerNames: [...new Set([...former, ...view.formerNames])],
  };
}

/** Where a person is now: their team and its department, as views; null when not known. */
export function placementOf(
  org: Organisation,
  personId: string,
): { team: OrgUnitView | null; department: OrgUnitView | null } {
  const teamId = current(org.people.get(personId)?.teams ?? []);
  const team = teamId === undefined || teamId === null ? undefined : org.teams.get(teamId);
  if (team === undefined) return { team: null, department: null };
  const departmentId = current(team.departments);
  const department =
    departmentId === undefined || departmentId === null
      ? undefined
      : findDepartment(org, departmentId);
  return {
    team: teamView(org, team),
    department: department === undefined ? null : departmentView(org, department.id),
  };
}
