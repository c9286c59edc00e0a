import { boundedText } from './boundedText.js';
import { limits } from './envelope.js';
import { FeedErrorCode } from './errors.js';
import { readTime, storedInstant } from './eventTime.js';
import { describeValue, quote } from './quote.js';
import { reject } from './rejection.js';

export const timeExample =
  'RFC 3339 such as "2026-11-22T10:00:00Z" (without an offset it is read as UTC)';
const personExample = '{"id": "hr-7", "name": "HR bot"}';

export function requiredText(
  at: string,
  name: string,
  value: unknown,
  property: string,
  maxLength: number,
  hint: string,
): string {
  if (value === undefined || value === null || value === '')
    reject(
      FeedErrorCode.MissingField,
      `${at}missing ${name}: set '${name}' in the event or the AMQP property ${property}${hint}`,
    );
  if (typeof value !== 'string')
    reject(FeedErrorCode.BadField, `${at}${name} must be a string, got ${describeValue(value)}`);
  if (value.length > maxLength)
    reject(
      FeedErrorCode.BadField,
      `${at}${name} is longer than ${maxLength} characters: ${quote(value)}`,
    );
  return value;
}

/** The event id: a string, or an integer read as its decimal string. */
export function requiredId(at: string, value: unknown, hint: string): string {
  if (typeof value === 'number') return integerId(at, 'id', value);
  return requiredText(at, 'id', value, 'message_id', limits.maxIdLength, hint);
}

export function integerId(at: string, name: string, value: number): string {
  if (!Number.isInteger(value))
    reject(
      FeedErrorCode.BadField,
      `${at}${name} must be a string or an integer, got ${describeValue(value)}`,
    );
  if (!Number.isSafeInteger(value))
    reject(
      FeedErrorCode.BadField,
      `${at}${name} ${quote(value)} is too large an integer to read exactly: send it as a string`,
    );
  return String(value);
}

interface Person {
  id: string;
  name: string | undefined;
}

/**
 * `actor` or `subject`: an id (a string or an integer), or an object with an `id` and a
 * display name (the first non-empty of `name`, `displayName`, `login`), as Activity Streams,
 * GitHub and many internal APIs send it. The id is what filters and erasure match.
 */
export function person(at: string, field: 'actor' | 'subject', value: unknown): Person | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    return { id: personId(at, field, value), name: undefined };
  const object = value as Record<string, unknown>;
  if (object.id === undefined || object.id === null)
    reject(
      FeedErrorCode.BadField,
      `${at}${field} object has no id: send ${personExample}, or the id alone`,
    );
  let name: string | undefined;
  for (const key of ['name', 'displayName', 'login']) {
    const candidate = object[key];
    if (candidate === undefined || candidate === null || candidate === '') continue;
    if (typeof candidate !== 'string')
      reject(
        FeedErrorCode.BadField,
        `${at}${field}.${key} must be a string or null, got ${describeValue(candidate)}`,
      );
    if (candidate.length > limits.maxNameLength)
      reject(
        FeedErrorCode.BadField,
        `${at}${field}.${key} is longer than ${limits.maxNameLength} characters: ${quote(candidate)}`,
      );
    name ??= candidate;
  }
  return { id: personId(at, `${field}.id`, object.id), name };
}

export function personId(at: string, name: string, value: unknown): string {
  if (typeof value === 'number') return integerId(at, name, value);
  if (typeof value !== 'string' || value === '')
    reject(
      FeedErrorCode.BadField,
      `${at}${name} must be a non-empty string, an integer or an object such as ${personExample}; got ${describeValue(value)}`,
    );
  if (value.length > limits.maxSubjectLength)
    reject(
      FeedErrorCode.BadField,
      `${at}${name} is longer than ${limits.maxSubjectLength} characters: ${quote(value)}`,
    );
  return value;
}

export function eventTime(
  at: string,
  bodyTime: unknown,
  timestamp: number | undefined,
  now: (() => Date) | undefined,
): string {
  if (bodyTime !== undefined && bodyTime !== null) {
    if (typeof bodyTime !== 'string')
      reject(
        FeedErrorCode.BadTime,
        `${at}time must be ${timeExample}, got ${describeValue(bodyTime)}` +
          (typeof bodyTime === 'number' ? '; epoch seconds go in the AMQP timestamp property' : ''),
      );
    const reading = readTime(bodyTime);
    if (!reading.ok)
      reject(
        FeedErrorCode.BadTime,
        `${at}time ${quote(bodyTime)} is ${reading.problem}: send ${timeExample}`,
      );
    return reading.time;
  }
  if (timestamp !== undefined && timestamp !== null) {
    // AMQP timestamps are seconds; a value this large is milliseconds (Date.now()) sent as is.
    const ms = timestamp > 1e11 ? timestamp : timestamp * 1000;
    const time = timestamp < 0 ? undefined : storedInstant(ms);
    if (time === undefined)
      reject(
        FeedErrorCode.BadTime,
        `${at}AMQP timestamp ${boundedText(String(timestamp), 30)} is not a valid time: send seconds since 1970`,
      );
    return time;
  }
  return (now?.() ?? new Date()).toISOString();
}
