import { bodyMode, splitBody } from './bodyMode.js';
import { defaultActor, defaultSubject, validateData } from './catalogue.js';
import { EventTypePattern, limits, type FeedEvent } from './envelope.js';
import { FeedErrorCode } from './errors.js';
import { readTime, storedInstant } from './eventTime.js';
import { boundedText } from './boundedText.js';
import { boundedReason, describeValue, kindOf, quote } from './quote.js';

/** The AMQP properties `parseMessage` reads: a subset of amqplib's MessageProperties. */
export interface MessageProperties {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  messageId?: string | undefined;
  appId?: string | undefined;
  type?: string | undefined;
  /** AMQP timestamp: seconds since the epoch. */
  timestamp?: number | undefined;
}

export type ParseResult =
  { ok: true; events: FeedEvent[] } | { ok: false; code: FeedErrorCode; reason: string };

export interface ParseOptions {
  maxBodyBytes?: number;
  maxEventsPerMessage?: number;
  maxDepth?: number;
  /** The time given to events that carry none, neither in the body nor in the properties. */
  now?: () => Date;
}

const acceptedContentTypes = new Set([
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
]);
const acceptedEncodings = new Set(['identity', 'utf-8', 'utf8']);
/** Keys that, merged into an object anywhere downstream, would reach its prototype. */
export const forbiddenKeys: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);
const typePattern = new RegExp(EventTypePattern);
const utf8 = new TextDecoder('utf-8', { fatal: true });
const timeExample = 'RFC 3339 such as "2026-11-22T10:00:00Z" (without an offset it is read as UTC)';
const personExample = '{"id": "hr-7", "name": "HR bot"}';

class Rejection {
  constructor(
    readonly code: FeedErrorCode,
    readonly reason: string,
  ) {}
}

/**
 * Turns one AMQP message into the events it carries, or a precise reason why it can never be
 * stored. Pure: the same message always gives the same answer, so the worker may park a
 * rejected message at once instead of retrying it. Every reason names the field, the rule and
 * a shape that works, and quotes at most a few dozen characters of the input.
 */
export function parseMessage(
  content: Uint8Array,
  properties: MessageProperties = {},
  options: ParseOptions = {},
): ParseResult {
  try {
    return { ok: true, events: parse(content, properties, options) };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, code: error.code, reason: error.reason };
    throw error;
  }
}

function parse(content: Uint8Array, props: MessageProperties, options: ParseOptions): FeedEvent[] {
  const maxBytes = options.maxBodyBytes ?? limits.maxBodyBytes;
  if (content.byteLength > maxBytes)
    reject(
      FeedErrorCode.TooLarge,
      `body is ${content.byteLength} bytes, over the limit of ${maxBytes}: send fewer events per message`,
    );
  checkContentType(props);

  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    reject(FeedErrorCode.NotUtf8, 'body is not valid UTF-8: send the JSON text encoded as UTF-8');
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    reject(FeedErrorCode.NotJson, notJsonReason(text, error as Error));
  }
  checkShape(body, options.maxDepth ?? limits.maxDepth);

  if (Array.isArray(body)) {
    if (body.length === 0)
      reject(FeedErrorCode.EmptyBatch, 'body is an empty array: send at least one event');
    const maxEvents = options.maxEventsPerMessage ?? limits.maxEventsPerMessage;
    if (body.length > maxEvents)
      reject(
        FeedErrorCode.BatchTooLarge,
        `body holds ${body.length} events, over the limit of ${maxEvents} per message: split it into several messages`,
      );
    return body.map((item, index) => toEvent(item, props, options, index));
  }
  return [toEvent(body, props, options, undefined)];
}

function checkContentType(props: MessageProperties): void {
  const expected = 'send application/json or application/cloudevents+json, UTF-8';
  if (props.contentType !== undefined && props.contentType !== '') {
    const [mediaType = '', ...params] = props.contentType.split(';');
    if (!acceptedContentTypes.has(mediaType.trim().toLowerCase()))
      reject(
        FeedErrorCode.ContentType,
        `content_type ${quote(props.contentType)} is not accepted: ${expected}`,
      );
    for (const param of params) {
      const [name, value = ''] = param.split('=').map((part) => part.trim().toLowerCase());
      if (name === 'charset' && !acceptedEncodings.has(value.replace(/"/g, '')))
        reject(FeedErrorCode.ContentType, `charset ${quote(value)} is not utf-8: ${expected}`);
    }
  }
  if (
    props.contentEncoding !== undefined &&
    props.contentEncoding !== '' &&
    !acceptedEncodings.has(props.contentEncoding.toLowerCase())
  )
    reject(
      FeedErrorCode.ContentEncoding,
      `content_encoding ${quote(props.contentEncoding)} is not supported: send uncompressed UTF-8 (utf-8 or none)`,
    );
}

/** Python's json.dumps writes NaN and Infinity, which JSON has not: name the fix. */
function notJsonReason(text: string, error: Error): string {
  const found = nonFiniteLiteral(text);
  if (found !== undefined)
    return `body is not JSON: ${found.literal} at position ${found.at} is no JSON value; send null instead (Python: json.dumps(..., allow_nan=False) refuses it before sending)`;
  return `body is not JSON: ${boundedText(error.message, 160)}`;
}

/** The first NaN, Infinity or -Infinity outside a string, if any. Only read after a failure. */
function nonFiniteLiteral(text: string): { literal: string; at: number } | undefined {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x4e && text.startsWith('NaN', i)) return { literal: 'NaN', at: i };
    else if (c === 0x49 && text.startsWith('Infinity', i))
      return text[i - 1] === '-'
        ? { literal: '-Infinity', at: i - 1 }
        : { literal: 'Infinity', at: i };
  }
  return undefined;
}

interface ShapeNode {
  value: unknown;
  depth: number;
  parent: ShapeNode | undefined;
  key: string;
}

/**
 * One iterative walk (deep bodies must not overflow the stack): depth and forbidden keys.
 * Paths are built only for a reason, from parent links: building one per node would cost
 * the sum of every path's length (long keys, deep nesting).
 */
function checkShape(body: unknown, maxDepth: number): void {
  const stack: ShapeNode[] = [{ value: body, depth: 1, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value, depth } = node;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth)
      reject(
        FeedErrorCode.TooDeep,
        `body nests deeper than ${maxDepth} levels at ${pathOf(node)}: send flatter data`,
      );
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++)
        stack.push({ value: value[index], depth: depth + 1, parent: node, key: String(index) });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (forbiddenKeys.has(key))
        reject(
          FeedErrorCode.ForbiddenKey,
          `key '${key}' is not allowed (at ${pathOf(node)}): it could reach an object's prototype; rename it`,
        );
      stack.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
        parent: node,
        key,
      });
    }
  }
}

/** A JSON path for a reason: each key cut to a few characters, the whole to a bounded size. */
function pathOf(node: ShapeNode): string {
  const keys: string[] = [];
  for (let at: ShapeNode | undefined = node; at?.parent !== undefined; at = at.parent)
    keys.push(boundedText(at.key, 24));
  return boundedText(`/${keys.reverse().join('/')}`, 100);
}

function toEvent(
  item: unknown,
  props: MessageProperties,
  options: ParseOptions,
  index: number | undefined,
): FeedEvent {
  const at = index === undefined ? '' : `event ${index}: `;
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    reject(
      FeedErrorCode.NotEvent,
      `${at}expected a JSON object, got ${kindOf(item)}` +
        (index === undefined ? ' (a body is one event or an array of events)' : ''),
    );
  const record = item as Record<string, unknown>;
  const mode = bodyMode(record, props.type);
  if (mode === 'cloudevent' && record.specversion !== '1.0')
    reject(
      FeedErrorCode.BadField,
      `${at}specversion must be "1.0" (or left out), got ${describeValue(record.specversion)}`,
    );
  const { attributes: attr, data, extensions } = splitBody(record, mode);
  // In data mode a missing attribute may be a body key the sender thought was read.
  const hint =
    mode === 'data' ? ' (the body has no "data" key and no string "type": it is all data)' : '';

  const messageId =
    props.messageId === undefined || props.messageId === ''
      ? undefined
      : index === undefined
        ? props.messageId
        : `${props.messageId}:${index}`;
  const id = requiredId(at, attr.id ?? messageId, hint);
  const source = requiredText(
    at,
    'source',
    attr.source ?? emptyToUndefined(props.appId),
    'app_id',
    limits.maxSourceLength,
    hint,
  );
  const type = requiredText(
    at,
    'type',
    attr.type ?? emptyToUndefined(props.type),
    'type',
    limits.maxTypeLength,
    hint,
  );
  if (!typePattern.test(type))
    reject(
      FeedErrorCode.BadField,
      `${at}type ${quote(type)} is not dotted words of letters, digits, '_' and '-', such as "employee.registered"`,
    );
  const time = eventTime(at, attr.time, props.timestamp, options.now);
  const subject = person(at, 'subject', attr.subject);
  const actor = person(at, 'actor', attr.actor);

  const problem = validateData(type, data);
  if (problem !== null)
    reject(
      FeedErrorCode.Schema,
      `${at}data of ${type} does not match its schema: data${boundedText(problem, 120)} (see the catalogue in /asyncapi.json)`,
    );

  const event: FeedEvent = { specversion: '1.0', id, source, type, time, data };
  const eventSubject = subject?.id ?? defaultSubject(type, data);
  const eventActor = actor?.id ?? defaultActor(type, data);
  if (eventSubject !== undefined) event.subject = eventSubject;
  if (eventActor !== undefined) event.actor = eventActor;
  if (subject?.name !== undefined) event.subjectName = subject.name;
  if (actor?.name !== undefined) event.actorName = actor.name;
  if (extensions !== undefined) event.extensions = extensions;
  return event;
}

function requiredText(
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
function requiredId(at: string, value: unknown, hint: string): string {
  if (typeof value === 'number') return integerId(at, 'id', value);
  return requiredText(at, 'id', value, 'message_id', limits.maxIdLength, hint);
}

function integerId(at: string, name: string, value: number): string {
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
function person(at: string, field: 'actor' | 'subject', value: unknown): Person | undefined {
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

function personId(at: string, name: string, value: unknown): string {
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

function eventTime(
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

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function reject(code: FeedErrorCode, reason: string): never {
  throw new Rejection(code, boundedReason(reason));
}
