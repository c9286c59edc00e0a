import { FeedError, FeedErrorCode } from '@feed/contracts';
import type { Message } from 'amqplib';
import { bodyJson, describeParked, sourcesOf } from './parkedMessage.js';

/** Which parked messages an operation takes: exactly one of these. */
export type Selection = { id: string } | { code: string } | { source: string } | { all: true };

/** A decision about one message, from its bytes and properties. */
export type MessagePredicate = (message: Pick<Message, 'content' | 'properties'>) => boolean;

/**
 * Checks that a selection names exactly one of id, code, source or all, so that a typo
 * (`--cod`) or an empty value can never widen a replay or a purge to every message.
 */
export function readSelection(input: {
  id?: string | undefined;
  code?: string | undefined;
  source?: string | undefined;
  all?: boolean | undefined;
}): Selection {
  const given = [
    input.id === undefined ? undefined : ({ id: input.id } as const),
    input.code === undefined ? undefined : ({ code: input.code } as const),
    input.source === undefined ? undefined : ({ source: input.source } as const),
    input.all === true ? ({ all: true } as const) : undefined,
  ].filter((item) => item !== undefined);
  if (given.length !== 1)
    throw new FeedError(
      FeedErrorCode.DeadSelection,
      'say which parked messages: exactly one of an id, a code, a source, or all',
    );
  const [selection] = given as [Selection];
  const value = Object.values(selection)[0];
  if (typeof value === 'string' && value.trim() === '')
    throw new FeedError(FeedErrorCode.DeadSelection, 'an empty id, code or source selects nothing');
  return selection;
}

/** The messages a selection takes. */
export function selects(selection: Selection): MessagePredicate {
  if ('all' in selection) return () => true;
  if ('id' in selection) return (message) => describeParked(message).id === selection.id;
  if ('code' in selection) return (message) => describeParked(message).code === selection.code;
  return (message) => sourcesOf(message).includes(selection.source);
}

function holdsValue(value: unknown, wanted: string, depth = 0): boolean {
  // Bodies are bounded (the worker parks at most its size limit); depth bounds the walk too.
  if (depth > 64) return false;
  if (typeof value === 'string') return value === wanted;
  if (Buffer.isBuffer(value)) return value.toString('utf8') === wanted;
  if (Array.isArray(value)) return value.some((item) => holdsValue(item, wanted, depth + 1));
  if (typeof value === 'object' && value !== null)
    return Object.values(value).some((item) => holdsValue(item, wanted, depth + 1));
  return false;
}

/**
 * The messages that hold a value (an erased person's id): a JSON body that holds it as any
 * string value (an `actor`, a `subject`, an `{ id }`, a field of `data`), a body that cannot
 * be parsed that holds its bytes anywhere, or a property or header whose value it is.
 */
export function mentions(value: string): MessagePredicate {
  const bytes = Buffer.from(value, 'utf8');
  return (message) => {
    const { headers, ...properties } = message.properties;
    if (holdsValue(properties, value) || holdsValue(headers ?? {}, value)) return true;
    const body = bodyJson(message.content);
    return body === undefined ? message.content.includes(bytes) : holdsValue(body, value);
  };
}
