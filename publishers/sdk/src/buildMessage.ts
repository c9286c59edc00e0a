import { randomUUID } from 'node:crypto';
import {
  FeedError,
  FeedErrorCode,
  isAttributeName,
  parseMessage,
  quote,
  type FeedEvent,
  type PersonObject,
} from '@feed/contracts';
import { fastCheckedEvent } from './fastCheck.js';

/** What a caller hands to `publish` or `enqueue`: the CloudEvent attributes it cares about. */
export interface PublishInput {
  type: string;
  data: unknown;
  /**
   * Default: a random UUID. Give a stable id to make a retry of the same event harmless. An
   * integer is sent as its decimal string.
   */
  id?: string | number;
  /** Default: the publisher's `source`. */
  source?: string;
  /** RFC 3339 time (without an offset: UTC) or a Date. Default: now. */
  time?: string | Date;
  /** Who or what it is about: an id, or `{ id, name }` to show a name beside it. */
  subject?: string | number | PersonObject;
  /** Who did it: an id, or `{ id, name }` (Activity Streams style). */
  actor?: string | number | PersonObject;
  /** CloudEvents extension attributes, sent beside the event and served with it. */
  extensions?: Record<string, unknown>;
}

/** AMQP properties of one feed message (the wire contract). */
export interface FeedMessageProperties {
  persistent: true;
  mandatory: true;
  contentType: 'application/cloudevents+json';
  messageId: string;
  appId: string;
  type: string;
  /** Seconds since the epoch, as AMQP defines it. */
  timestamp: number;
}

export interface FeedMessage {
  /** The event as the feed will store it (defaults applied, time normalized). */
  event: FeedEvent;
  routingKey: string;
  body: Buffer;
  properties: FeedMessageProperties;
}

export interface BuildDefaults {
  source: string;
  now?: () => Date;
  newId?: () => string;
}

/**
 * Builds the message for one event and checks it as the worker will (its own parser decides
 * every case the fast check does not clear), so an event the feed would park fails here, in
 * the caller, with the same reason.
 */
export function buildMessage(
  input: PublishInput,
  defaults: BuildDefaults,
  index?: number,
): FeedMessage {
  const at = index === undefined ? 'event' : `event ${index}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid(`${at} must be an object with type and data`);
  const time =
    input.time === undefined
      ? (defaults.now?.() ?? new Date()).toISOString()
      : input.time instanceof Date
        ? timeOf(input.time, at)
        : input.time;
  const candidate: Record<string, unknown> = extensionsOf(input.extensions, at);
  candidate.specversion = '1.0';
  candidate.id = input.id ?? (defaults.newId ?? randomUUID)();
  candidate.source = input.source ?? defaults.source;
  candidate.type = input.type;
  candidate.time = time;
  candidate.data = input.data === undefined ? null : input.data;
  if (input.subject !== undefined) candidate.subject = input.subject;
  if (input.actor !== undefined) candidate.actor = input.actor;

  let body: Buffer;
  try {
    body = Buffer.from(JSON.stringify(candidate), 'utf8');
  } catch (error) {
    throw invalid(`${at} is not serializable to JSON: ${(error as Error).message}`, error);
  }
  const event = fastCheckedEvent(candidate, body.byteLength) ?? parsedEvent(body, at);
  return {
    event,
    routingKey: event.type,
    body,
    properties: {
      persistent: true,
      mandatory: true,
      contentType: 'application/cloudevents+json',
      messageId: event.id,
      appId: event.source,
      type: event.type,
      timestamp: Math.floor(Date.parse(event.time) / 1000),
    },
  };
}

/**
 * The event's extension attributes as the start of its JSON object: they sit beside the
 * attributes, as CloudEvents puts them, and the attributes are set after them. fromEntries
 * defines own keys, so a `__proto__` among them stays a key the worker's parser refuses.
 * Without extensions (most events) the object starts empty.
 */
function extensionsOf(extensions: unknown, at: string): Record<string, unknown> {
  if (extensions === undefined) return {};
  if (typeof extensions !== 'object' || extensions === null || Array.isArray(extensions))
    throw invalid(`${at}: extensions must be an object of extension attributes`);
  const named = Object.entries(extensions);
  for (const [key] of named)
    if (isAttributeName(key))
      throw invalid(`${at}: extension ${quote(key)} is named like an attribute; set the attribute`);
  return Object.fromEntries(named);
}

/** All or nothing: one invalid event rejects the whole call before anything is sent. */
export function buildMessages(
  input: PublishInput | readonly PublishInput[],
  defaults: BuildDefaults,
): FeedMessage[] {
  if (Array.isArray(input)) {
    if (input.length === 0) throw invalid('no events given: pass one event or a non-empty array');
    return input.map((item, index) => buildMessage(item, defaults, index));
  }
  return [buildMessage(input as PublishInput, defaults)];
}

/** The worker's own parser: the final word, and the wording of every rejection. */
function parsedEvent(body: Buffer, at: string): FeedEvent {
  const parsed = parseMessage(body, { contentType: 'application/cloudevents+json' });
  if (!parsed.ok) throw invalid(`${at} is invalid (${parsed.code}): ${parsed.reason}`);
  return parsed.events[0]!;
}

function timeOf(date: Date, at: string): string {
  if (Number.isNaN(date.getTime())) throw invalid(`${at}: time is an invalid Date`);
  return date.toISOString();
}

function invalid(message: string, cause?: unknown): FeedError {
  return new FeedError(FeedErrorCode.PublishInvalid, message, { cause });
}
