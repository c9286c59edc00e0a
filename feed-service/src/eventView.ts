import { createHash } from 'node:crypto';
import { encodeCursor, type StoredEvent } from '@feed/store';
import type { EncodableBody } from './contentEncoding.js';

/**
 * An event as the API shows it: its key, attributes, the display names of actor and subject
 * objects, its extension attributes, reaction counts and its cursor. `listPageJson` builds the
 * same fields, in the same order, in SQL.
 */
export type EventView = Omit<StoredEvent, 'xid' | 'seq' | 'storedAt'> & { cursor: string };

export function toEventView(event: StoredEvent): EventView {
  return {
    id: event.id,
    source: event.source,
    type: event.type,
    time: event.time,
    subject: event.subject,
    subjectName: event.subjectName,
    actor: event.actor,
    actorName: event.actorName,
    data: event.data,
    extensions: event.extensions,
    reactions: event.reactions,
    cursor: encodeCursor(event),
  };
}

/** A response body serialized once, with the entity tag of exactly those bytes. */
export interface SerializedBody extends EncodableBody {
  /** The entity tag of the identity bytes; each coding derives its own (encodedEtag). */
  etag: string;
}

export function serialize(value: unknown): SerializedBody {
  const body = JSON.stringify(value);
  return { body, etag: etagOf(body) };
}

export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * A body built for one answer, encoded to UTF-8 once for its ETag and for the socket both
 * (sendBody sends the bytes): encoding a page of 30 KB costs as much as hashing it.
 */
export function encodedBody(body: string): SerializedBody & { bytes: Buffer } {
  const bytes = Buffer.from(body);
  return { body, bytes, etag: `"${createHash('sha1').update(bytes).digest('base64url')}"` };
}

/**
 * One page, newest first. The store was asked for `limit + 1` rows, so the extra row says
 * whether a next page exists without a second query or an empty last page.
 */
export interface FeedPage extends SerializedBody {
  nextCursor: string | null;
  /**
   * The events it shows, as eventKey names them, when the read knew them: a cache then keeps
   * the page through the changes of other events.
   */
  events?: readonly string[];
}

/** An event's key as one string: how a change names the event it changed. */
export const eventKey = (source: string, id: string): string => `${source}\u0000${id}`;

export function serializePage(rows: readonly StoredEvent[], limit: number): FeedPage {
  const items = rows.slice(0, limit).map(toEventView);
  const nextCursor = rows.length > limit && items.length > 0 ? items.at(-1)!.cursor : null;
  return { ...serialize({ items, nextCursor }), nextCursor };
}

/** RFC 9110 weak comparison of an If-None-Match header against our (strong) tag. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
