import { describe, expect, it } from 'vitest';
import {
  Organisation,
  departmentScope,
  departmentView,
  findDepartment,
  findTeam,
  teamScope,
  teamView,
  type OrgEvent,
} from '@feed/store';

/** Events at positions (100, 1), (100, 2), … in the order given. */
function fold(...events: [string, Record<string, unknown>][]): Organisation {
  const org = new Organisation();
  events.forEach(([type, data], i) =>
    org.apply({ xid: '100', seq: String(i + 1), type, data } satisfies OrgEvent),
  );
  return org;
}
const at = (seq: number) => ({ xid: '100', seq: String(seq) });
const joined = (employeeId: string, teamId: string, team = teamId) =>
  ['employee.registered', { employeeId, name: employeeId, team, teamId, position: 'Dev' }] as [
    string,
    Record<string, unknown>,
  ];

describe('Organisation', () => {
  it('places a person in a team from the event on, and moves them', () => {
    const org = fold(joined('anna', 't-1'), [
      'employee.position_changed',
      { employeeId: 'anna', name: 'Anna', position: 'Lead', teamId: 't-2', team: 'Search' },
    ]);
    expect(teamScope(org, 't-1').people).toEqual([{ id: 'anna', from: at(1), to: at(2) }]);
    expect(teamScope(org, 't-2').people).toEqual([{ id: 'anna', from: at(2), to: null }]);
  });

  it('resolves names to ids as they stood at the event, and a former name to the same unit', () => {
    const org = fold(
      [
        'team.structure_changed',
        {
          teamId: 't-1',
          team: 'Sales',
          change: 'created',
          departmentId: 'd-1',
          department: 'Commerce',
        },
      ],
      ['department.renamed', { departmentId: 'd-1', from: 'Commerce', to: 'Revenue' }],
      // A version 1 event: names only, the department's former name.
      [
        'employee.registered',
        {
          employeeId: 'oleg',
          name: 'Oleg',
          team: 'Sales',
          position: 'Rep',
          department: 'Commerce',
        },
      ],
    );
    expect(findDepartment(org, 'commerce')?.id).toBe('d-1');
    expect(findDepartment(org, 'Revenue')?.id).toBe('d-1');
    expect(departmentView(org, 'd-1')).toEqual({
      id: 'd-1',
      name: 'Revenue',
      formerNames: ['Commerce'],
    });
    expect(findTeam(org, 'Sales')?.id).toBe('t-1');
    expect(departmentScope(org, 'd-1').people).toEqual([{ id: 'oleg', from: at(3), to: null }]);
  });

  it('a department first known by name is the same department once its id appears', () => {
    const org = fold(
      [
        'employee.registered',
        { employeeId: 'ada', name: 'Ada', team: 'Data', position: 'Analyst', department: 'Sales' },
      ],
      ['department.renamed', { departmentId: 'd-9', from: 'Sales', to: 'Growth' }],
    );
    const scope = departmentScope(org, findDepartment(org, 'Sales')!.id);
    expect(scope.departments).toEqual(['d-9', '~department:Sales']);
    expect(scope.people).toEqual([{ id: 'ada', from: at(1), to: null }]);
  });

  it('a merge moves the people and shows the merged team history under the team it joined', () => {
    const org = fold(
      joined('anna', 'a'),
      joined('boris', 'b'),
      [
        'team.structure_changed',
        { teamId: 'a', team: 'a', change: 'merged', mergedIntoTeamId: 'b' },
      ],
      joined('carl', 'a'),
    );
    const scope = teamScope(org, 'b');
    expect(scope.teams.map((t) => t.id)).toEqual(['b', 'a']);
    expect(scope.people).toEqual([
      { id: 'boris', from: at(2), to: null },
      { id: 'anna', from: at(3), to: null },
      { id: 'anna', from: at(1), to: at(3) },
      // Placed in the merged team after the merge: still shown under it.
      { id: 'carl', from: at(4), to: null },
    ]);
    expect(teamView(org, org.teams.get('b')!).merged).toEqual([{ id: 'a', name: 'a' }]);
  });

  it('a merge naming no team, or a loop of merges, changes nothing', () => {
    const org = fold(
      joined('anna', 'a'),
      ['team.structure_changed', { teamId: 'a', team: 'a', change: 'merged' }],
      [
        'team.structure_changed',
        { teamId: 'b', team: 'b', change: 'merged', mergedIntoTeamId: 'a' },
      ],
      [
        'team.structure_changed',
        { teamId: 'a', team: 'a', change: 'merged', mergedIntoTeamId: 'b' },
      ],
    );
    expect(org.teams.get('a')!.mergedInto).toBeUndefined();
    expect(teamScope(org, 'a').people).toEqual([{ id: 'anna', from: at(1), to: null }]);
  });

  it('a team moved to another department takes its people there from the move on', () => {
    const org = fold(
      [
        'team.structure_changed',
        { teamId: 't', team: 'Search', change: 'created', departmentId: 'd-1' },
      ],
      joined('anna', 't'),
      [
        'team.structure_changed',
        { teamId: 't', team: 'Search', change: 'moved', departmentId: 'd-2' },
      ],
    );
    expect(departmentScope(org, 'd-1').people).toEqual([{ id: 'anna', from: at(2), to: at(3) }]);
    expect(departmentScope(org, 'd-2').people).toEqual([{ id: 'anna', from: at(3), to: null }]);
    expect(departmentScope(org, 'd-1').teams).toEqual([{ id: 't', from: at(1), to: at(3) }]);
  });

  it('a snapshot seeds departments, teams and people from its position on', () => {
    const org = fold([
      'organisation.snapshot',
      {
        departments: [{ departmentId: 'd-1', name: 'Engineering' }],
        teams: [{ teamId: 't-1', name: 'Platform', departmentId: 'd-1' }],
        employees: [{ employeeId: 'anna', name: 'Anna', teamId: 't-1' }],
      },
    ]);
    expect(findTeam(org, 'platform')?.id).toBe('t-1');
    expect(departmentScope(org, 'd-1').people).toEqual([{ id: 'anna', from: at(1), to: null }]);
  });

  it('a renamed team keeps its id; events naming it by the new name find it', () => {
    const org = fold(
      ['team.structure_changed', { teamId: 't', team: 'Core', change: 'created' }],
      ['team.structure_changed', { teamId: 't', team: 'Platform', change: 'renamed' }],
      ['employee.registered', { employeeId: 'x', name: 'X', team: 'Platform', position: 'Dev' }],
    );
    expect(teamView(org, findTeam(org, 'Core')!)).toEqual({
      id: 't',
      name: 'Platform',
      formerNames: ['Core'],
      merged: [],
    });
    expect(teamScope(org, 't').people).toEqual([{ id: 'x', from: at(3), to: null }]);
  });
});
