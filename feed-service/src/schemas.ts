import { Type, type TSchema } from '@sinclair/typebox';
import { limits } from '@feed/contracts';
import { ApiErrorCode } from './apiErrors.js';

/**
 * JSON Schema without `$id`s: the catalogue's schemas carry ids, and one id may appear in
 * only one schema per compiler, while routes and documents embed them many times.
 */
export function inlineSchema<T extends TSchema>(schema: T): T {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$id' ? undefined : value,
  ) as T;
}

/**
 * Text without NUL: PostgreSQL's text cannot hold U+0000 (SQLSTATE 22021), so a NUL in a
 * parameter is the client's error, answered 400 before any query.
 */
export const noNulPattern = '^[^\\u0000]*$';

const Name = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: limits.maxSubjectLength,
    pattern: noNulPattern,
    description,
  });

export const FilterProperties = {
  type: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 2500, pattern: noNulPattern }), {
      maxItems: 20,
      description:
        'Event types, any of them: repeat the parameter (`type=a&type=b`) or separate with commas.',
    }),
  ),
  source: Type.Optional(Name('Only events of this source (publisher).')),
  actor: Type.Optional(Name('Only events done by this person.')),
  subject: Type.Optional(Name('Only events about this person or thing.')),
  since: Type.Optional(
    Type.String({ format: 'date-time', description: 'Event time at or after (RFC 3339).' }),
  ),
  until: Type.Optional(
    Type.String({ format: 'date-time', description: 'Event time before (RFC 3339).' }),
  ),
};

/** GET /events only: what happened in a part of the company (see the service README). */
export const OrgProperties = {
  team: Type.Optional(
    Name(
      'What happened in a team (its id, its name or a former name): its events, those of teams merged into it, and those of its people (as subject or actor) while they were in it.',
    ),
  ),
  department: Type.Optional(
    Name(
      'What happened in a department (its id, its name or a former name): its events, those of its teams while they were in it, and those of their people while they were in them.',
    ),
  ),
};

const OrgUnit = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The current name.' }),
  formerNames: Type.Array(Type.String()),
  merged: Type.Optional(
    Type.Array(Type.Object({ id: Type.String(), name: Type.String() }), {
      description: 'Teams merged into this one: their history is part of its feed.',
    }),
  ),
});

const CursorParam = (description: string) =>
  Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_-]+$', description });

export const ListQuery = Type.Object(
  {
    ...FilterProperties,
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Events per page.' }),
    ),
    cursor: Type.Optional(
      CursorParam('The `nextCursor` of the previous page: events older than its last one.'),
    ),
    ...OrgProperties,
    group: Type.Optional(
      Type.Literal('similar', {
        description:
          'Collapse contiguous runs of alike events into one item (see the service README for the rule): `limit` counts items, each group shows a few members inline and links to the rest.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const StreamQuery = Type.Object(
  {
    ...FilterProperties,
    group: Type.Optional(
      Type.Literal('similar', {
        description:
          'Each new event carries `group`: the key of the group it joins on a page grouped the same way (the newest item, when its key is the same).',
      }),
    ),
    after: Type.Optional(
      CursorParam(
        'Start after this event (a `cursor`). The `Last-Event-ID` header, sent by a reconnecting EventSource, takes precedence.',
      ),
    ),
  },
  { additionalProperties: false },
);

export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 40, description: 'Resume after this event (its SSE id).' }),
  ),
});

export const EventKeyQuery = Type.Object(
  {
    source: Type.Optional(Name('The source of the event, when several sources use the id.')),
  },
  { additionalProperties: false },
);

export const EventIdParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: limits.maxIdLength,
    pattern: noNulPattern,
    description: 'Event id.',
  }),
});

export const EventItem = Type.Object(
  {
    id: Type.String(),
    source: Type.String(),
    type: Type.String(),
    time: Type.String({ format: 'date-time' }),
    subject: Type.Union([Type.String(), Type.Null()], {
      description: 'Who or what the event is about (an id); the `subject` filter matches it.',
    }),
    subjectName: Type.Union([Type.String(), Type.Null()], {
      description: 'The display name of a subject sent as an object, e.g. "Anna Smirnova".',
    }),
    actor: Type.Union([Type.String(), Type.Null()], {
      description: 'Who did it (an id); the `actor` filter and erasure match it.',
    }),
    actorName: Type.Union([Type.String(), Type.Null()], {
      description:
        'The display name of an actor sent as an object (`name`, else `displayName`, else `login`), e.g. "HR bot" for actor "hr-7".',
    }),
    data: Type.Unknown({ description: 'The event data; its schema depends on `type`.' }),
    extensions: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'The extension attributes the publisher sent beside the event (e.g. a `summary`); empty when none.',
    }),
    reactions: Type.Record(Type.String(), Type.Integer(), {
      description: 'Count per reaction kind, e.g. { "like": 3, "fire": 1 }.',
    }),
    cursor: Type.String({ description: 'Opaque position of the event in the feed.' }),
    reacted: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'The reactions of the reader the request names (a reader token or a trusted proxy\'s X-Feed-Reader), e.g. ["fire"]; only then, and the answer is `Cache-Control: private`.',
      }),
    ),
  },
  { description: 'A feed event with its reaction counts.' },
);

export const GroupItem = Type.Object(
  {
    kind: Type.Literal('group'),
    key: Type.String({ description: 'What its members share (the grouping rule).' }),
    type: Type.String(),
    count: Type.Integer({ description: 'Members in this item.' }),
    continued: Type.Boolean({
      description: 'The rest of a run that began on the previous page ("and N more").',
    }),
    summary: Type.String({ description: 'e.g. "Anna, Oleg and 10 others joined Platform".' }),
    more: Type.Integer({ description: 'Members not shown inline.' }),
    members: Type.Array(EventItem, { description: 'The newest few members.' }),
    membersCursor: Type.String({
      description:
        'As `cursor`, the page that starts with the newest member: the next `count` events are the members.',
    }),
    membersHref: Type.String({ description: 'That page, with the same filters.' }),
    cursor: Type.String({ description: 'The position of its oldest member on this page.' }),
  },
  { description: 'With `group=`: a run of alike events, one item.' },
);

export const EventPage = Type.Object({
  items: Type.Array(Type.Union([EventItem, GroupItem]), {
    description:
      'Events; with `group=`, each item is an event (with its group key as `group`) or a group.',
  }),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `cursor` for the next (older) page; null on the last page.',
  }),
  scope: Type.Optional(
    Type.Object(
      { team: Type.Optional(OrgUnit), department: Type.Optional(OrgUnit) },
      { description: 'With `team` or `department`: what it resolved to.' },
    ),
  ),
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Union(
        Object.values(ApiErrorCode).map((code) => Type.Literal(code)),
        { description: 'Stable code; never reused for another meaning.' },
      ),
      message: Type.String(),
      param: Type.Optional(Type.String({ description: 'The parameter or field at fault.' })),
    }),
  },
  { description: 'Every 4xx and 5xx answer has this shape.' },
);

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody]));
