import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Id = Type.String({ minLength: 1, maxLength: 200 });

export const EmployeeRegistered = Type.Object(
  {
    employeeId: Id,
    name: Name,
    team: Name,
    position: Name,
    department: Type.Optional(Name),
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
  'reaction.added': ReactionAdded,
  'reaction.removed': ReactionRemoved,
} as const satisfies Record<string, TSchema>;

export type CatalogueType = keyof typeof catalogue;
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
