import type { Position } from '../position.js';
import { change, current, type Since } from './history.js';

/** An event the organisation learns from, as the store reads it (in the feed's order). */
export interface OrgEvent extends Position {
  type: string;
  data: unknown;
}

export interface Team {
  id: string;
  names: Since<string>[];
  departments: Since<string | null>[];
  /** The team it was merged into, and where in the feed. */
  mergedInto: { teamId: string; at: Position } | undefined;
  /** Teams merged into this one (their history is shown under it). */
  merged: string[];
}

export interface Department {
  id: string;
  names: Since<string>[];
  /** A department first known by name only, later by its id: the same department. */
  aliasOf: string | undefined;
  aliases: string[];
}

export interface Person {
  id: string;
  teams: Since<string | null>[];
}

type Data = Record<string, unknown>;
const text = (data: Data, key: string): string | undefined =>
  typeof data[key] === 'string' && data[key] !== '' ? data[key] : undefined;
const list = (data: Data, key: string): Data[] =>
  Array.isArray(data[key])
    ? (data[key] as unknown[]).filter((x): x is Data => typeof x === 'object' && x !== null)
    : [];

/**
 * Ids given to a team or department that events name only by name (events of catalogue
 * version 1): no publisher's id starts with `~`.
 */
export const nameKey = (kind: 'team' | 'department', name: string) => `~${kind}:${name}`;

/**
 * The organisation as the feed's own events describe it, folded in the feed's order: who is
 * in which team, which team in which department, from which position on. Everything is keyed
 * by ids; a name is resolved as it stood at the event's position (current names first, then
 * former ones), so an event that names `Sales` after Sales was renamed Revenue is Revenue's.
 * Pure: the store reads the events (hidden and erased ones are not among them, so hiding a
 * mistaken merge and erasing a person undo what they did once the organisation is folded
 * again) and the reader keeps it.
 */
export class Organisation {
  readonly teams = new Map<string, Team>();
  readonly departments = new Map<string, Department>();
  readonly people = new Map<string, Person>();
  /** Every person ever in each team, and every team ever in each department: the indexes. */
  readonly teamPeople = new Map<string, Set<string>>();
  readonly departmentTeams = new Map<string, Set<string>>();
  /** Events applied so far: with the object itself, which state of the organisation this is. */
  applied = 0;

  apply(event: OrgEvent): void {
    this.applied += 1;
    if (typeof event.data !== 'object' || event.data === null) return;
    const data = event.data as Data;
    const at: Position = { xid: event.xid, seq: event.seq };
    switch (event.type) {
      case 'employee.registered':
      case 'employee.position_changed':
        return this.employee(data, at);
      case 'team.structure_changed':
        return this.teamChanged(data, at);
      case 'department.renamed':
        return this.departmentRenamed(data, at);
      case 'organisation.snapshot':
        return this.snapshot(data, at);
    }
  }

  private employee(data: Data, at: Position): void {
    const personId = text(data, 'employeeId');
    if (personId === undefined) return;
    const teamId = this.teamOf(text(data, 'teamId'), text(data, 'team'), at, false);
    if (teamId === undefined) return;
    const departmentId = this.departmentOf(
      text(data, 'departmentId'),
      text(data, 'department'),
      at,
      false,
    );
    if (departmentId !== undefined) this.placeTeam(teamId, departmentId, at);
    this.placePerson(personId, teamId, at);
  }

  private teamChanged(data: Data, at: Position): void {
    const teamId = this.teamOf(text(data, 'teamId'), text(data, 'team'), at, true);
    if (teamId === undefined) return;
    const departmentId = this.departmentOf(
      text(data, 'departmentId'),
      text(data, 'department'),
      at,
      false,
    );
    if (departmentId !== undefined) this.placeTeam(teamId, departmentId, at);
    const into = text(data, 'mergedIntoTeamId');
    if (data.change === 'merged' && into !== undefined && into !== teamId)
      this.merge(teamId, this.teamOf(into, undefined, at, false)!, at);
    if (data.change === 'dissolved') {
      for (const personId of this.teamPeople.get(teamId) ?? [])
        if (current(this.people.get(personId)!.teams) === teamId)
          this.placePerson(personId, null, at);
    }
  }

  private departmentRenamed(data: Data, at: Position): void {
    const id = text(data, 'departmentId');
    const from = text(data, 'from');
    const to = text(data, 'to');
    if (id === undefined || to === undefined) return;
    this.departmentOf(id, from, at, false);
    change(this.departments.get(id)!.names, to, at);
  }

  private snapshot(data: Data, at: Position): void {
    for (const d of list(data, 'departments'))
      this.departmentOf(text(d, 'departmentId'), text(d, 'name'), at, true);
    for (const t of list(data, 'teams')) {
      const teamId = this.teamOf(text(t, 'teamId'), text(t, 'name'), at, true);
      const departmentId = this.departmentOf(text(t, 'departmentId'), undefined, at, false);
      if (teamId !== undefined && departmentId !== undefined)
        this.placeTeam(teamId, departmentId, at);
    }
    for (const e of list(data, 'employees')) {
      const personId = text(e, 'employeeId');
      const teamId = this.teamOf(text(e, 'teamId'), undefined, at, false);
      if (personId !== undefined && teamId !== undefined) this.placePerson(personId, teamId, at);
    }
  }

  /**
   * The team an event means: by its id when it has one (created when new, renamed when the
   * event is authoritative on names, i.e. a team event or a snapshot), else by name.
   */
  private teamOf(
    id: string | undefined,
    name: string | undefined,
    at: Position,
    renames: boolean,
  ): string | undefined {
    if (id === undefined) {
      if (name === undefined) return undefined;
      const known = this.teamNamed(name);
      if (known !== undefined) return known.id;
      id = nameKey('team', name);
    }
    let team = this.teams.get(id);
    if (team === undefined) {
      // A team known so far only by this name is this team: its history is shown under it.
      const byName = name === undefined ? undefined : this.teams.get(nameKey('team', name));
      team = { id, names: [], departments: [], mergedInto: undefined, merged: [] };
      this.teams.set(id, team);
      if (name !== undefined) change(team.names, name, at);
      if (byName !== undefined && byName.mergedInto === undefined) this.merge(byName.id, id, at);
    } else if (name !== undefined && (renames || team.names.length === 0))
      change(team.names, name, at);
    return id;
  }

  private departmentOf(
    id: string | undefined,
    name: string | undefined,
    at: Position,
    renames: boolean,
  ): string | undefined {
    if (id === undefined) {
      if (name === undefined) return undefined;
      const known = this.departmentNamed(name);
      if (known !== undefined) return known.id;
      id = nameKey('department', name);
    }
    let department = this.departments.get(id);
    if (department === undefined) {
      const byName = name === undefined ? undefined : this.departmentNamed(name);
      department = { id, names: [], aliasOf: undefined, aliases: [] };
      this.departments.set(id, department);
      if (name !== undefined) change(department.names, name, at);
      if (byName !== undefined && byName.aliasOf === undefined && byName.id.startsWith('~')) {
        byName.aliasOf = id;
        department.aliases.push(byName.id);
      }
    } else if (name !== undefined && (renames || department.names.length === 0))
      change(department.names, name, at);
    return id;
  }

  /** The team that holds a name now, else the one that held it last. Exact match. */
  teamNamed(name: string): Team | undefined {
    return named(this.teams.values(), name, (team) => team.mergedInto === undefined);
  }

  departmentNamed(name: string): Department | undefined {
    return named(this.departments.values(), name, (d) => d.aliasOf === undefined);
  }

  private placePerson(personId: string, teamId: string | null, at: Position): void {
    let person = this.people.get(personId);
    if (person === undefined) {
      person = { id: personId, teams: [] };
      this.people.set(personId, person);
    }
    change(person.teams, teamId, at);
    if (teamId !== null) addTo(this.teamPeople, teamId, personId);
  }

  private placeTeam(teamId: string, departmentId: string, at: Position): void {
    change(this.teams.get(teamId)!.departments, departmentId, at);
    addTo(this.departmentTeams, departmentId, teamId);
  }

  /** Team `from` merged into `into` at a position: its people move there from then on. */
  private merge(from: string, into: string, at: Position): void {
    const team = this.teams.get(from)!;
    if (team.mergedInto !== undefined || this.mergedChain(into).includes(from)) return;
    team.mergedInto = { teamId: into, at };
    this.teams.get(into)!.merged.push(from);
    for (const personId of this.teamPeople.get(from) ?? [])
      if (current(this.people.get(personId)!.teams) === from) this.placePerson(personId, into, at);
  }

  /** A team and every team it was merged into, in turn. */
  private mergedChain(teamId: string): string[] {
    const chain = [teamId];
    for (let t = this.teams.get(teamId); t?.mergedInto !== undefined;) {
      if (chain.includes(t.mergedInto.teamId)) break;
      chain.push(t.mergedInto.teamId);
      t = this.teams.get(t.mergedInto.teamId);
    }
    return chain;
  }
}

function named<T extends { names: Since<string>[] }>(
  all: Iterable<T>,
  name: string,
  preferred: (item: T) => boolean,
): T | undefined {
  let former: { item: T; from: Position } | undefined;
  let now: T | undefined;
  for (const item of all) {
    if (current(item.names) === name) {
      if (now === undefined || (!preferred(now) && preferred(item))) now = item;
      continue;
    }
    for (const entry of item.names)
      if (entry.value === name && (former === undefined || laterThan(entry.from, former.from)))
        former = { item, from: entry.from };
  }
  return now ?? former?.item;
}

const laterThan = (a: Position, b: Position) =>
  BigInt(a.xid) > BigInt(b.xid) || (a.xid === b.xid && BigInt(a.seq) > BigInt(b.seq));

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(value);
}
