import { Type, type Static } from '@sinclair/typebox';
import { TimePattern } from './eventTime.js';

/** CloudEvents attribute limits. They keep one event's key and index entries small. */
export const limits = {
  /** Largest message body the feed accepts, in bytes. */
  maxBodyBytes: 1024 * 1024,
  /**
   * Most events in one array body. The size limit is the real bound; this one stops a body
   * of tiny items (`[{},{},…]`, 350,000 of them fit in 1 MiB) from costing the worker far
   * more than its bytes, as every event becomes an object, a row and an index entry. At
   * 100,000 an event averages 10 bytes, less than any event that means something takes
   * (`{"n":1}` alone is 7), so no real bulk message reaches it: 10,000 events of 100 bytes
   * fill the size limit first.
   */
  maxEventsPerMessage: 100_000,
  /** Deepest nesting of objects and arrays inside one body. */
  maxDepth: 32,
  maxIdLength: 200,
  maxSourceLength: 200,
  maxTypeLength: 120,
  maxSubjectLength: 200,
  /** Display names of an actor or subject object. */
  maxNameLength: 200,
} as const;

export const EventTypePattern = '^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9][A-Za-z0-9_-]*)*$';

/**
 * The envelope every stored event has, as `parseMessage` returns it: CloudEvents 1.0
 * attributes, the optional `actor` extension attribute (who did it), which the API filters
 * on, the display names of actor and subject objects, and the body's other extension
 * attributes.
 */
export const FeedEventSchema = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Type.String({ minLength: 1, maxLength: limits.maxIdLength }),
    source: Type.String({ minLength: 1, maxLength: limits.maxSourceLength }),
    type: Type.String({ pattern: EventTypePattern, maxLength: limits.maxTypeLength }),
    time: Type.String({ format: 'date-time' }),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: limits.maxSubjectLength })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: limits.maxSubjectLength })),
    data: Type.Unknown(),
    subjectName: Type.Optional(Type.String({ minLength: 1, maxLength: limits.maxNameLength })),
    actorName: Type.Optional(Type.String({ minLength: 1, maxLength: limits.maxNameLength })),
    extensions: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'FeedEvent', title: 'A feed event as stored' },
);

export type FeedEvent = Static<typeof FeedEventSchema>;

/** Integers beyond this lost digits in JSON.parse already: two ids could become one. */
const SafeInteger = Type.Integer({
  minimum: Number.MIN_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
});

/** An id as publishers send it: a string, or an integer (read as its decimal string). */
export const WireId = (maxLength: number, description?: string) =>
  Type.Union([Type.String({ minLength: 1, maxLength }), SafeInteger], { description });

const DisplayName = Type.Union([Type.String({ maxLength: limits.maxNameLength }), Type.Null()]);

/** An actor or subject as an object (Activity Streams, GitHub, many internal APIs). */
export const PersonObjectSchema = Type.Object(
  {
    id: WireId(limits.maxSubjectLength, 'What filters and erasure match.'),
    name: Type.Optional(DisplayName),
    displayName: Type.Optional(DisplayName),
    login: Type.Optional(DisplayName),
  },
  {
    description:
      'The `id` is stored as the actor (or subject); the display name (the first non-empty of `name`, `displayName`, `login`) is stored beside it. Other keys are not kept.',
  },
);

export type PersonObject = Static<typeof PersonObjectSchema>;

/** `actor` or `subject` as sent: an id, or an object with an id and a display name. */
export const WirePerson = (description: string) =>
  Type.Union([WireId(limits.maxSubjectLength), PersonObjectSchema], { description });

/**
 * One event as publishers send it: CloudEvents 1.0 structured JSON, read liberally. Every
 * key other than the attributes is an extension attribute, stored and served beside the
 * event (under `extensions`). The plain-object shapes without `specversion` are in the
 * README's wire contract.
 */
export const WireEventSchema = Type.Object(
  {
    specversion: Type.Optional(Type.Literal('1.0')),
    id: WireId(limits.maxIdLength, 'Default: the AMQP message_id.'),
    source: Type.String({
      minLength: 1,
      maxLength: limits.maxSourceLength,
      description: 'Default: the AMQP app_id.',
    }),
    type: Type.String({ pattern: EventTypePattern, maxLength: limits.maxTypeLength }),
    time: Type.Optional(
      Type.String({
        pattern: TimePattern,
        description:
          'RFC 3339; without an offset it is read as UTC. Default: the AMQP timestamp, else the time the worker received it.',
      }),
    ),
    subject: Type.Optional(WirePerson('Who or what the event is about.')),
    actor: Type.Optional(WirePerson('Who did it.')),
    data: Type.Optional(Type.Unknown({ description: 'Default: null.' })),
  },
  {
    additionalProperties: true,
    description:
      'CloudEvents 1.0 structured JSON. Any other key is an extension attribute, stored and served beside the event.',
  },
);
