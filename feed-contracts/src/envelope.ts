import { Type, type Static } from '@sinclair/typebox';

/** CloudEvents attribute limits. They keep one event's key and index entries small. */
export const limits = {
  /** Largest message body the feed accepts, in bytes. */
  maxBodyBytes: 1024 * 1024,
  /** Most events in one array body. */
  maxEventsPerMessage: 1000,
  /** Deepest nesting of objects and arrays inside one body. */
  maxDepth: 32,
  maxIdLength: 200,
  maxSourceLength: 200,
  maxTypeLength: 120,
  maxSubjectLength: 200,
} as const;

export const EventTypePattern = '^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9][A-Za-z0-9_-]*)*$';

/**
 * The envelope every stored event has: CloudEvents 1.0 structured JSON, plus the optional
 * `actor` extension attribute (who did it), which the API filters on.
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
  },
  { $id: 'FeedEvent', title: 'A feed event (CloudEvents 1.0 structured JSON)' },
);

export type FeedEvent = Static<typeof FeedEventSchema>;
