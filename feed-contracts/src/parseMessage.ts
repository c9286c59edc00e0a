import { bodyMode, splitBody } from './bodyMode.js';
import { defaultActor, defaultSubject, validateData } from './catalogue.js';
import { EventTypePattern, limits, type FeedEvent } from './envelope.js';
import { FeedErrorCode } from './errors.js';
import { boundedText } from './boundedText.js';
import { describeValue, kindOf, quote } from './quote.js';
import { eventTime, person, requiredId, requiredText } from './eventAttributes.js';
import { readBody } from './messageBody.js';
import { Rejection, reject } from './rejection.js';

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

const typePattern = new RegExp(EventTypePattern);

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
  const body = readBody(content, props, options);

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

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
