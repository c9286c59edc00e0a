import {
  EventTypePattern,
  defaultActor,
  defaultSubject,
  forbiddenKeys,
  isAttributeName,
  limits,
  readTime,
  validateData,
  type FeedEvent,
} from '@feed/contracts';

const typePattern = new RegExp(EventTypePattern);

/**
 * The common case of `parseMessage` without parsing back the JSON just written: for an
 * event whose data is plain JSON (so the value checked is the value the worker will parse),
 * checks what the worker checks and returns the event it will store. Anything unusual or
 * failing returns undefined, and the caller asks the worker's own parser, which then decides
 * and words the reason. So this may only ever be stricter, never looser, than the worker.
 */
export function fastCheckedEvent(
  candidate: Readonly<Record<string, unknown>>,
  bodyBytes: number,
): FeedEvent | undefined {
  if (bodyBytes > limits.maxBodyBytes) return undefined;
  // Extension attributes, integer ids and actor objects are the parser's to read.
  for (const key in candidate) if (!isAttributeName(key)) return undefined;
  const { id, source, type, time, subject, actor } = candidate;
  const data = candidate.data;
  if (!isText(id, limits.maxIdLength) || !isText(source, limits.maxSourceLength)) return undefined;
  if (!isText(type, limits.maxTypeLength) || !typePattern.test(type)) return undefined;
  if (subject !== undefined && !isText(subject, limits.maxSubjectLength)) return undefined;
  if (actor !== undefined && !isText(actor, limits.maxSubjectLength)) return undefined;
  if (typeof time !== 'string') return undefined;
  const reading = readTime(time);
  if (!reading.ok) return undefined;
  // The body is depth 1 and its data depth 2, as the worker counts.
  if (!isPlainJson(data, 2)) return undefined;
  if (validateData(type, data) !== null) return undefined;

  const event: FeedEvent = {
    specversion: '1.0',
    id,
    source,
    type,
    time: reading.time,
    data,
  };
  const eventSubject = subject ?? defaultSubject(type, data);
  const eventActor = actor ?? defaultActor(type, data);
  if (eventSubject !== undefined) event.subject = eventSubject as string;
  if (eventActor !== undefined) event.actor = eventActor as string;
  return event;
}

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value !== '' && value.length <= maxLength;
}

/**
 * True when JSON.stringify then JSON.parse gives back the same value (strings, finite
 * numbers but -0, booleans, null, arrays and plain objects), no deeper than the limit and
 * without a key the worker refuses.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // -0 is written as 0: the worker stores 0, so -0 goes to its parser.
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth > limits.maxDepth) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key) || forbiddenKeys.has(key)) return false;
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
