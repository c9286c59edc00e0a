import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Id = Type.String({ minLength: 1, maxLength: 200 });

/**
 * Version 2 of the employee and team events added the organisation's ids (`teamId`,
 * `departmentId`, `mergedIntoTeamId`), all optional: an event of version 1 still validates,
 * and the feed resolves its names (see feed-store's organisation).
 */
const since2 = (description: string) => `${description} Since version 2.`;
const TeamId = Type.Optional(
  Type.String({ minLength: 1, maxLength: 200, description: since2('The team, by id.') }),
);
const DepartmentId = Type.Optional(
  Type.String({ minLength: 1, maxLength: 200, description: since2('The department, by id.') }),
);

export const EmployeeRegistered = Type.Object(
  {
    employeeId: Id,
    name: Name,
    team: Name,
    position: Name,
    department: Type.Optional(Name),
    teamId: TeamId,
    departmentId: DepartmentId,
  },
  { $id: 'EmployeeRegistered', description: 'A new employee joined a team.' },
);

export const EmployeePositionChanged = Type.Object(
  {
    employeeId: Id,
    name: Name,
    position: Name,
    previousPosition: Type.Optional(Name),
    team: Type.Optional(Name),
    teamId: TeamId,
    department: Type.Optional(Name),
    departmentId: DepartmentId,
  },
  { $id: 'EmployeePositionChanged', description: 'An employee now holds another position.' },
);

export const TeamStructureChanged = Type.Object(
  {
    teamId: Id,
    team: Name,
    change: Type.Union(
      ['created', 'renamed', 'merged', 'split', 'dissolved', 'moved', 'members_changed'].map((c) =>
        Type.Literal(c),
      ),
    ),
    summary: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    department: Type.Optional(Name),
    departmentId: DepartmentId,
    mergedIntoTeamId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: since2(
          'With change `merged`: the team it was merged into; its people and history go there.',
        ),
      }),
    ),
  },
  { $id: 'TeamStructureChanged', description: 'A team was created, merged, split or reshaped.' },
);

export const DepartmentRenamed = Type.Object(
  {
    departmentId: Id,
    from: Name,
    to: Name,
  },
  { $id: 'DepartmentRenamed', description: 'A department got a new name.' },
);

const SnapshotItems = <T extends TSchema>(item: T) =>
  Type.Optional(Type.Array(item, { maxItems: 10_000 }));

/**
 * The organisation as it stands, for seeding it (a first import): stored as the feed's
 * knowledge from its position on, never shown as an item of the feed. Several snapshots
 * add up: each states the departments, teams and people it lists.
 */
export const OrganisationSnapshot = Type.Object(
  {
    departments: SnapshotItems(
      Type.Object({ departmentId: Id, name: Name }, { additionalProperties: false }),
    ),
    teams: SnapshotItems(
      Type.Object(
        { teamId: Id, name: Name, departmentId: Type.Optional(Id) },
        { additionalProperties: false },
      ),
    ),
    employees: SnapshotItems(
      Type.Object(
        { employeeId: Id, name: Name, teamId: Id, position: Type.Optional(Name) },
        { additionalProperties: false },
      ),
    ),
  },
  {
    $id: 'OrganisationSnapshot',
    description: 'The organisation as it stands, to seed it; not shown in the feed.',
  },
);

/** Which event a reaction is about: the `(source, id)` that identifies every event. */
export const ReactionTarget = Type.Object(
  { source: Type.String({ minLength: 1, maxLength: 200 }), id: Id },
  { $id: 'ReactionTarget' },
);

export const ReactionKindPattern = '^[a-z][a-z0-9_]{0,31}$';

const Reaction = (id: string, description: string) =>
  Type.Object(
    {
      target: ReactionTarget,
      reaction: Type.String({ pattern: ReactionKindPattern, description: 'like, fire, …' }),
      actor: Id,
      version: Type.Optional(
        Type.Integer({
          minimum: 1,
          description:
            'Orders the changes of one (actor, reaction, target): the higher wins. The API assigns it; without it, the later event time wins.',
        }),
      ),
    },
    { $id: id, description },
  );

export const ReactionAdded = Reaction('ReactionAdded', 'A person reacted to an event.');
export const ReactionRemoved = Reaction('ReactionRemoved', 'A person took a reaction back.');

/**
 * The catalogue: every event type with a strict `data` schema. One source gives the
 * TypeScript types (`EventData<T>`), the runtime validation (`validateData`) and the JSON
 * Schema the API documents publish.
 */
export const catalogue = {
  'employee.registered': EmployeeRegistered,
  'employee.position_changed': EmployeePositionChanged,
  'team.structure_changed': TeamStructureChanged,
  'department.renamed': DepartmentRenamed,
  'organisation.snapshot': OrganisationSnapshot,
  'reaction.added': ReactionAdded,
  'reaction.removed': ReactionRemoved,
} as const satisfies Record<string, TSchema>;

export type CatalogueType = keyof typeof catalogue;

/** How the feed shows a type: what a reader of the catalogue needs beside its schema. */
export interface TypePresentation {
  /**
   * The version of the type's `data` schema. Adding an optional field makes a new version (its
   * fields say since when), and events of every earlier version still validate; a change that
   * older events would fail is a new type instead.
   */
  version: number;
  /**
   * One line of text: `{field}` is that field of `data` (`{a.b}` a nested one), `[…]` a part
   * shown only when every field in it has a value. See renderTemplate (eventText.ts).
   */
  template: string;
  /** Words for the values of a field, e.g. `change: created` → "was created". */
  phrases?: Record<string, Record<string, string>>;
  /** An emoji the page shows beside the line. */
  icon: string;
  category: 'people' | 'organisation' | 'reactions';
  /** Whether readers may react to events of this type. */
  reactable: boolean;
}

export const presentation: Record<CatalogueType, TypePresentation> = {
  'employee.registered': {
    version: 2,
    template: '{name} joined {team} as {position}[ in {department}]',
    icon: '👋',
    category: 'people',
    reactable: true,
  },
  'employee.position_changed': {
    version: 2,
    template: '{name} is now {position}[ (was {previousPosition})][ in {team}]',
    icon: '🎉',
    category: 'people',
    reactable: true,
  },
  'team.structure_changed': {
    version: 2,
    template: 'Team {team} {change}[: {summary}]',
    phrases: {
      change: {
        created: 'was created',
        renamed: 'was renamed',
        merged: 'was merged',
        split: 'was split',
        dissolved: 'was dissolved',
        moved: 'moved',
        members_changed: 'has new members',
      },
    },
    icon: '🧩',
    category: 'organisation',
    reactable: true,
  },
  'department.renamed': {
    version: 1,
    template: '{from} was renamed {to}',
    icon: '🏷️',
    category: 'organisation',
    reactable: true,
  },
  // Seeds the organisation; stored apart, never an item of the feed.
  'organisation.snapshot': {
    version: 1,
    template: 'The organisation was seeded',
    icon: '🗂️',
    category: 'organisation',
    reactable: false,
  },
  // Reactions change the counters of their target; they are not items of the feed.
  'reaction.added': {
    version: 1,
    template: '{actor} reacted {reaction}',
    icon: '➕',
    category: 'reactions',
    reactable: false,
  },
  'reaction.removed': {
    version: 1,
    template: '{actor} took back {reaction}',
    icon: '➖',
    category: 'reactions',
    reactable: false,
  },
};

/**
 * The reactions readers choose from (`PUT /events/{id}/reactions/{kind}`). Publishers on AMQP
 * may send other kinds; the API takes only these, so a typo never becomes a new kind.
 */
export const reactionKinds = [
  { kind: 'like', emoji: '👍', label: 'Like' },
  { kind: 'fire', emoji: '🔥', label: 'Fire' },
  { kind: 'clap', emoji: '👏', label: 'Applause' },
  { kind: 'love', emoji: '❤️', label: 'Love' },
  { kind: 'party', emoji: '🎉', label: 'Celebrate' },
] as const;

export type ReactionKind = (typeof reactionKinds)[number]['kind'];

export function isReactionKind(kind: string): kind is ReactionKind {
  return reactionKinds.some((k) => k.kind === kind);
}
export type EventData<T extends CatalogueType> = Static<(typeof catalogue)[T]>;

export const reactionTypes = ['reaction.added', 'reaction.removed'] as const;
export type ReactionType = (typeof reactionTypes)[number];
export type ReactionData = Static<typeof ReactionAdded>;

export function isCatalogueType(type: string): type is CatalogueType {
  return Object.hasOwn(catalogue, type);
}

export function isReactionType(type: string): type is ReactionType {
  return type === 'reaction.added' || type === 'reaction.removed';
}

const checks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(catalogue).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
);

/**
 * Checks `data` against its type's schema. Returns null when it conforms (or the type is not
 * in the catalogue: a well-formed event of a new type is stored as a generic event), otherwise
 * the first problem, with its JSON path.
 */
export function validateData(type: string, data: unknown): string | null {
  const check = checks.get(type);
  if (check === undefined || check.Check(data)) return null;
  const first = check.Errors(data).First();
  if (first === undefined) return 'does not match its schema';
  return `${first.path === '' ? '/' : first.path} ${first.message}`;
}

/**
 * Who an event is about, for the API's `subject` filter and privacy erasure, when the
 * publisher did not set the CloudEvents `subject` itself.
 */
export function defaultSubject(type: string, data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  if (type.startsWith('employee.') && typeof record.employeeId === 'string')
    return record.employeeId;
  return undefined;
}

/** Who did it, when the publisher did not set the `actor` extension attribute itself. */
export function defaultActor(type: string, data: unknown): string | undefined {
  if (!isReactionType(type) || typeof data !== 'object' || data === null) return undefined;
  const actor = (data as Record<string, unknown>).actor;
  return typeof actor === 'string' ? actor : undefined;
}

/** The event types the feed learns its organisation from (feed-store's organisation). */
export const organisationTypes = [
  'employee.registered',
  'employee.position_changed',
  'team.structure_changed',
  'department.renamed',
] as const satisfies readonly CatalogueType[];

/** Seeds the organisation; stored apart from the feed's items (see storeEvents). */
export const organisationSnapshotType = 'organisation.snapshot';
