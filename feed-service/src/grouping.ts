import { encodeCursor, type Position } from '@feed/store';

/**
 * The fields of an event the grouping rule and the summaries read: its data's text fields
 * (null unless a JSON string). A page's rows carry the key itself (listGroupRows computes it
 * in SQL by this same rule); a group reads these from its members' items.
 */
export interface GroupFields {
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

/** The grouping rules a request can ask for (`group=`). */
export const groupModes = ['similar'] as const;
export type GroupMode = (typeof groupModes)[number];

/** Members shown inline in a group; the rest are behind its `members` link. */
export const inlineMembers = 3;

/**
 * The rule of `group=similar`: which events are alike. Contiguous events (in the feed's
 * order, after the request's filters) with the same key are one group. The store's
 * listGroupRows computes the same key in SQL: a change here is a change there (the
 * service's grouping tests compare the two).
 */
export function groupKey(f: GroupFields): string {
  switch (f.type) {
    case 'employee.registered':
      return `joined:${f.teamId ?? f.team ?? ''}`;
    case 'employee.position_changed':
      return `position:${f.teamId ?? f.team ?? ''}`;
    case 'team.structure_changed':
      return `team:${f.change ?? ''}`;
    case 'department.renamed':
      return `department:${f.departmentId ?? ''}`;
    default:
      return `type:${f.type}:${f.source}`;
  }
}

/** The same fields from an event object (the live stream's events). */
export function groupFieldsOf(event: { type: string; source: string; data: unknown }): GroupFields {
  const data =
    typeof event.data === 'object' && event.data !== null
      ? (event.data as Record<string, unknown>)
      : {};
  const text = (key: string) => (typeof data[key] === 'string' ? data[key] : null);
  return {
    type: event.type,
    source: event.source,
    teamId: text('teamId'),
    team: text('team'),
    change: text('change'),
    departmentId: text('departmentId'),
    name: text('name'),
    from: text('from'),
    to: text('to'),
  };
}

export interface Run<R> {
  key: string;
  /** Newest first. */
  rows: R[];
  /** The run began on an earlier page: this is its rest ("and N more"). */
  continued: boolean;
}

export interface PagePlan<R> {
  runs: Run<R>[];
  /** Whether older events remain: the cursor is then the last row of the last run. */
  more: boolean;
}

/**
 * Cuts rows (newest first) into at most `limit` runs. Returns undefined while it cannot
 * decide yet: the last run may go on in rows not read (read more, up to `budget`). A run
 * cut by the budget ends the page; its rest starts the next one (its first row has the key
 * of the row before the cursor: `contextKey`).
 */
export function planPage<R>(
  rows: readonly R[],
  keyOf: (row: R) => string,
  options: { limit: number; ended: boolean; budget: number; contextKey: string | undefined },
): PagePlan<R> | undefined {
  const runs: Run<R>[] = [];
  for (const [i, row] of rows.entries()) {
    const key = keyOf(row);
    const last = runs.at(-1);
    if (last?.key === key) last.rows.push(row);
    else {
      if (runs.length === options.limit) return { runs, more: true };
      runs.push({ key, rows: [row], continued: i === 0 && key === options.contextKey });
    }
  }
  if (options.ended) return { runs, more: false };
  if (rows.length >= options.budget) return { runs, more: true };
  return undefined;
}

/** "Anna, Oleg and 10 others": the first two names known, reading no more rows than that. */
function people<R>(rows: readonly R[], fieldsOf: (row: R) => GroupFields): string {
  const count = rows.length;
  const known: string[] = [];
  for (const row of rows) {
    const name = fieldsOf(row).name;
    if (name !== null && !known.includes(name)) known.push(name);
    if (known.length === 2) break;
  }
  if (known.length === 0) return `${count} people`;
  if (count === 1) return known[0]!;
  if (count === 2 && known.length === 2) return `${known[0]} and ${known[1]}`;
  const others = count - known.length;
  return `${known.join(', ')} and ${others} ${others === 1 ? 'other' : 'others'}`;
}

const teamChanges: Record<string, string> = {
  created: 'were created',
  renamed: 'were renamed',
  merged: 'were merged',
  split: 'were split',
  dissolved: 'were dissolved',
  moved: 'moved',
  members_changed: 'have new members',
};

/**
 * One line for a group: "Anna, Oleg and 10 others joined Platform", "3 teams were renamed".
 * `fieldsOf` gives a member's fields (a page's rows hold only items): it is asked only for
 * the members the line names.
 */
export function groupSummary(run: Run<GroupFields>): string;
export function groupSummary<R>(run: Run<R>, fieldsOf: (row: R) => GroupFields): string;
export function groupSummary<R>(
  run: Run<R>,
  fieldsOf = (row: R) => row as unknown as GroupFields,
): string {
  const n = run.rows.length;
  const newest = fieldsOf(run.rows[0]!);
  const who = () => (run.continued ? `and ${n} more` : people(run.rows, fieldsOf));
  switch (newest.type) {
    case 'employee.registered':
      return `${who()} joined ${newest.team ?? 'a team'}`;
    case 'employee.position_changed':
      return `${who()} changed position${newest.team === null ? '' : ` in ${newest.team}`}`;
    case 'team.structure_changed':
      return `${run.continued ? 'and ' : ''}${n} ${run.continued ? 'more ' : ''}teams ${teamChanges[newest.change ?? ''] ?? 'changed'}`;
    case 'department.renamed': {
      const all = run.rows.map(fieldsOf);
      const names = all.map((r) => r.to ?? '?').reverse();
      return `${run.continued ? '… ' : `${all.at(-1)!.from ?? '?'} was renamed `}${names.join(', then ')}`;
    }
    default:
      return `${run.continued ? 'and ' : ''}${n} ${run.continued ? 'more ' : ''}${newest.type} events`;
  }
}

/** The cursor whose page starts with this position: the events older than just above it. */
export function cursorAt(position: Position): string {
  return encodeCursor({ xid: position.xid, seq: String(BigInt(position.seq) + 1n) });
}
