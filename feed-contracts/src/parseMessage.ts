import { defaultActor, defaultSubject, validateData } from './catalogue.js';
import { EventTypePattern, limits, type FeedEvent } from './envelope.js';
import { FeedErrorCode } from './errors.js';

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
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);
const typePattern = new RegExp(EventTypePattern);
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

class Rejection {
  constructor(
    readonly code: FeedErrorCode,
    readonly reason: string,
  ) {}
}

/**
 * Turns one AMQP message into the events it carries, or a precise reason why it can never be
 * stored. Pure: the same message always gives the same answer, so the worker may park a
 * rejected message at once instead of retrying it.
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
      `body is ${content.byteLength} bytes, over the limit of ${maxBytes}`,
    );
  checkContentType(props);

  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    reject(FeedErrorCode.NotUtf8, 'body is not valid UTF-8');
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    reject(FeedErrorCode.NotJson, `body is not JSON: ${(error as Error).message}`);
  }
  checkShape(body, options.maxDepth ?? limits.maxDepth);

  if (Array.isArray(body)) {
    if (body.length === 0) reject(FeedErrorCode.EmptyBatch, 'body is an empty array');
    const maxEvents = options.maxEventsPerMessage ?? limits.maxEventsPerMessage;
    if (body.length > maxEvents)
      reject(
        FeedErrorCode.BatchTooLarge,
        `body holds ${body.length} events, over the limit of ${maxEvents}`,
      );
    return body.map((item, index) => toEvent(item, props, options, index));
  }
  return [toEvent(body, props, options, undefined)];
}

function checkContentType(props: MessageProperties): void {
  if (props.contentType !== undefined && props.contentType !== '') {
    const [mediaType = '', ...params] = props.contentType.split(';');
    if (!acceptedContentTypes.has(mediaType.trim().toLowerCase()))
      reject(
        FeedErrorCode.ContentType,
        `content_type '${props.contentType}' is not application/json or application/cloudevents+json`,
      );
    for (const param of params) {
      const [name, value = ''] = param.split('=').map((part) => part.trim().toLowerCase());
      if (name === 'charset' && !acceptedEncodings.has(value.replace(/"/g, '')))
        reject(FeedErrorCode.ContentType, `charset '${value}' is not utf-8`);
    }
  }
  if (
    props.contentEncoding !== undefined &&
    props.contentEncoding !== '' &&
    !acceptedEncodings.has(props.contentEncoding.toLowerCase())
  )
    reject(
      FeedErrorCode.ContentEncoding,
      `content_encoding '${props.contentEncoding}' is not supported`,
    );
}

/** One iterative walk (deep bodies must not overflow the stack): depth and forbidden keys. */
function checkShape(body: unknown, maxDepth: number): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [
    { value: body, depth: 1, path: '' },
  ];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth)
      reject(FeedErrorCode.TooDeep, `body nests deeper than ${maxDepth} levels at ${path || '/'}`);
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        stack.push({ value: item, depth: depth + 1, path: `${path}/${index}` }),
      );
      continue;
    }
    for (const key of Object.keys(value)) {
      if (forbiddenKeys.has(key))
        reject(FeedErrorCode.ForbiddenKey, `key '${key}' is not allowed (at ${path || '/'})`);
      stack.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
        path: `${path}/${key}`,
      });
    }
  }
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
      `${at}expected a JSON object, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}` +
        (index === undefined ? ' (a body is one event or an array of events)' : ''),
    );
  const record = item as Record<string, unknown>;
  // A body with `specversion` is a CloudEvent; any other object is the data of one event
  // whose attributes all come from the AMQP properties.
  const isCloudEvent = Object.hasOwn(record, 'specversion');
  const attr = (name: string): unknown => (isCloudEvent ? record[name] : undefined);

  if (isCloudEvent && record.specversion !== '1.0')
    reject(
      FeedErrorCode.BadField,
      `${at}specversion must be "1.0", got ${JSON.stringify(record.specversion)}`,
    );

  const messageId =
    props.messageId === undefined || props.messageId === ''
      ? undefined
      : index === undefined
        ? props.messageId
        : `${props.messageId}:${index}`;
  const id = stringAttr(at, 'id', attr('id') ?? messageId, 'message_id', limits.maxIdLength);
  const source = stringAttr(
    at,
    'source',
    attr('source') ?? emptyToUndefined(props.appId),
    'app_id',
    limits.maxSourceLength,
  );
  const type = stringAttr(
    at,
    'type',
    attr('type') ?? emptyToUndefined(props.type),
    'type',
    limits.maxTypeLength,
  );
  if (!typePattern.test(type))
    reject(
      FeedErrorCode.BadField,
      `${at}type '${type}' is not dotted words of letters, digits, '_' and '-'`,
    );
  const time = eventTime(at, attr('time'), props.timestamp, options.now);
  const subject = optionalString(at, 'subject', attr('subject'));
  const actor = optionalString(at, 'actor', attr('actor'));
  const data = isCloudEvent ? (record.data ?? null) : record;

  const problem = validateData(type, data);
  if (problem !== null)
    reject(FeedErrorCode.Schema, `${at}data of ${type} does not match its schema: data${problem}`);

  const event: FeedEvent = { specversion: '1.0', id, source, type, time, data };
  const eventSubject = subject ?? defaultSubject(type, data);
  const eventActor = actor ?? defaultActor(type, data);
  if (eventSubject !== undefined) event.subject = eventSubject;
  if (eventActor !== undefined) event.actor = eventActor;
  return event;
}

function stringAttr(
  at: string,
  name: string,
  value: unknown,
  property: string,
  maxLength: number,
): string {
  if (value === undefined || value === null || value === '')
    reject(
      FeedErrorCode.MissingField,
      `${at}missing ${name}: set '${name}' in the event or the AMQP property ${property}`,
    );
  if (typeof value !== 'string')
    reject(FeedErrorCode.BadField, `${at}${name} must be a string, got ${typeof value}`);
  if (value.length > maxLength)
    reject(FeedErrorCode.BadField, `${at}${name} is longer than ${maxLength} characters`);
  return value;
}

function optionalString(at: string, name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > limits.maxSubjectLength)
    reject(
      FeedErrorCode.BadField,
      `${at}${name} must be a non-empty string of at most ${limits.maxSubjectLength} characters`,
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
    if (typeof bodyTime !== 'string' || !rfc3339.test(bodyTime))
      reject(
        FeedErrorCode.BadTime,
        `${at}time must be an RFC 3339 timestamp, got ${JSON.stringify(bodyTime)}`,
      );
    const ms = Date.parse(bodyTime);
    if (Number.isNaN(ms))
      reject(FeedErrorCode.BadTime, `${at}time '${bodyTime}' is not a real date`);
    return new Date(ms).toISOString();
  }
  if (timestamp !== undefined && timestamp !== null) {
    // AMQP timestamps are seconds; a value this large is milliseconds (Date.now()) sent as is.
    const ms = timestamp > 1e11 ? timestamp : timestamp * 1000;
    const date = new Date(ms);
    if (!Number.isFinite(timestamp) || Number.isNaN(date.getTime()) || timestamp < 0)
      reject(FeedErrorCode.BadTime, `${at}AMQP timestamp ${String(timestamp)} is not a valid time`);
    return date.toISOString();
  }
  return (now?.() ?? new Date()).toISOString();
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function reject(code: FeedErrorCode, reason: string): never {
  throw new Rejection(code, reason);
}
