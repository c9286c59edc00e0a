import type { Message, Options } from 'amqplib';

/** The headers the worker adds when it parks a message (see feed-worker/src/park.ts). */
const feedHeaderPrefix = 'x-feed-';
/**
 * Headers the broker adds: when it dead-letters a message itself, and a quorum queue's count
 * of deliveries (which a sweep's fresh copies start again at 0).
 */
const brokerHeaders = new Set(['x-death', 'x-delivery-count']);
const brokerDeathPrefixes = ['x-first-death-', 'x-last-death-'];

/** The header that names one parked copy; the worker sets it, a sweep gives one to a copy without. */
export const parkIdHeader = 'x-feed-park-id';

/** Bytes of the body a preview shows. */
export const previewBytes = 1024;

/** One parked message as an operator reads it. */
export interface ParkedMessage {
  /** The park id: what `show`, `replay` and `purge` take. */
  id: string;
  /** `x-feed-error-code`; for a message the broker dead-lettered, `broker:<reason>`. */
  code: string;
  reason: string;
  parkedAt: string | undefined;
  /** The sources the message names: `app_id`, else the `source` of its events. */
  sources: string[];
  /** The original AMQP properties (JSON-safe), without the headers. */
  properties: Record<string, unknown>;
  /** The original headers, without the ones parking added. */
  headers: Record<string, unknown>;
  /** The headers parking and the broker added (`x-feed-*`, `x-death`, `x-delivery-count`). */
  parkHeaders: Record<string, unknown>;
  bodyBytes: number;
  /** The first `previewBytes` bytes: as text when the body is UTF-8, else base64. */
  bodyPreview: string;
  bodyEncoding: 'utf8' | 'base64';
}

function isParkHeader(name: string): boolean {
  return (
    name.startsWith(feedHeaderPrefix) ||
    brokerHeaders.has(name) ||
    brokerDeathPrefixes.some((prefix) => name.startsWith(prefix))
  );
}

/** A header value as JSON can carry it (amqplib hands Buffers, Dates and nested tables). */
export function jsonSafe(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = jsonSafe(item);
    return out;
  }
  return value;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or undefined when it is not UTF-8. */
export function bodyText(content: Buffer): string | undefined {
  try {
    return utf8.decode(content);
  } catch {
    return undefined;
  }
}

/** The body as JSON, or undefined when it is not UTF-8 JSON. */
export function bodyJson(content: Buffer): unknown {
  const decoded = bodyText(content);
  if (decoded === undefined) return undefined;
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return undefined;
  }
}

/** The sources a message names: its `app_id`, and the `source` of each event in its body. */
export function sourcesOf(message: Pick<Message, 'content' | 'properties'>): string[] {
  const sources = new Set<string>();
  const appId = text(message.properties.appId);
  if (appId !== undefined) sources.add(appId);
  const body = bodyJson(message.content);
  for (const item of Array.isArray(body) ? body : [body])
    if (typeof item === 'object' && item !== null) {
      const source = (item as { source?: unknown }).source;
      if (typeof source === 'string') sources.add(source);
    }
  return [...sources];
}

function brokerCode(headers: Record<string, unknown>): string | undefined {
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const reason = text((deaths[0] as { reason?: unknown }).reason);
  return reason === undefined ? undefined : `broker:${reason}`;
}

/** Reads one parked message: why it was parked, what it was, and the start of its body. */
export function describeParked(message: Pick<Message, 'content' | 'properties'>): ParkedMessage {
  const { headers: allHeaders = {}, ...rest } = message.properties;
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest))
    if (value !== undefined) properties[key] = jsonSafe(value);
  const headers: Record<string, unknown> = {};
  const parkHeaders: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(allHeaders as Record<string, unknown>))
    (isParkHeader(key) ? parkHeaders : headers)[key] = jsonSafe(value);
  const head = message.content.subarray(0, previewBytes);
  // A cut inside a multi-byte character is still text: decode the whole body to decide.
  const isText = bodyText(message.content) !== undefined;
  return {
    id: text(allHeaders[parkIdHeader]) ?? '',
    code: text(allHeaders['x-feed-error-code']) ?? brokerCode(allHeaders) ?? 'unknown',
    reason:
      text(allHeaders['x-feed-error']) ??
      (brokerCode(allHeaders) === undefined ? '' : 'dead-lettered by the broker'),
    parkedAt: text(allHeaders['x-feed-parked-at']),
    sources: sourcesOf(message),
    properties,
    headers,
    parkHeaders,
    bodyBytes: message.content.length,
    bodyPreview: isText ? head.toString('utf8') : head.toString('base64'),
    bodyEncoding: isText ? 'utf8' : 'base64',
  };
}

/**
 * The properties a replay publishes with: the original ones, without what parking added
 * (`x-feed-*`, the broker's `x-death`), persistent, and `x-feed-replayed-from` naming the
 * park id. The original `user_id` (parking moved it to `x-feed-original-user-id`) cannot be
 * restored, since the broker refuses a `user_id` other than the publishing connection's user:
 * a message that had one is replayed with `replayUser`'s, the user the replay connected as,
 * so that a worker binding sources to users (WORKER_SOURCE_USERS) judges the replay by it.
 */
export function replayProperties(
  message: Pick<Message, 'properties'>,
  replayUser?: string,
): Options.Publish {
  const { headers = {}, userId: _userId, ...rest } = message.properties;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers as Record<string, unknown>))
    if (!isParkHeader(key)) kept[key] = value;
  const parkId = text((headers as Record<string, unknown>)[parkIdHeader]);
  if (parkId !== undefined) kept['x-feed-replayed-from'] = parkId;
  const hadUser = (headers as Record<string, unknown>)['x-feed-original-user-id'] !== undefined;
  if (hadUser && replayUser !== undefined && replayUser !== '') options.userId = replayUser;
  return { ...options, headers: kept, deliveryMode: 2 } as Options.Publish;
}

/**
 * The properties a kept copy goes back to feed.dead with: the same, and a park id. A
 * `user_id` (on a message the broker dead-lettered itself) moves to a header and `expiration`
 * is dropped, as parking does: the broker refuses another user's id, and a parked copy stays.
 */
export function keptProperties(
  message: Pick<Message, 'properties'>,
  parkId: string,
): Options.Publish {
  const { headers = {}, userId, expiration: _expiration, ...rest } = message.properties;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  const { 'x-delivery-count': _count, ...kept } = headers as Record<string, unknown>;
  return {
    ...options,
    headers: {
      ...kept,
      ...(userId === undefined ? {} : { 'x-feed-original-user-id': userId }),
      [parkIdHeader]: parkId,
    },
    deliveryMode: 2,
  } as Options.Publish;
}
