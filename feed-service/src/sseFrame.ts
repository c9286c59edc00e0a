import { encodeCursor, type FeedItem, type StoredEvent } from '@feed/store';
import { toEventView } from './eventView.js';

/**
 * One SSE frame per event: its cursor as `id` (what a reconnecting EventSource sends back as
 * Last-Event-ID) and the same JSON as a list item as `data`. JSON.stringify never emits a raw
 * line break, so the data is one line.
 */
export function eventFrame(event: StoredEvent): string {
  const view = toEventView(event);
  return `id: ${view.cursor}\ndata: ${JSON.stringify(view)}\n\n`;
}

/**
 * One SSE frame per item of the feed: a new event as above (the default `message` event),
 * or a change to one, as a named event whose `id` resumes in the same order:
 * `event: reactions` with `{ id, source, reactions }` (its counters now), or `event: removed`
 * with `{ id, source }` (hidden or erased: drop it).
 */
export function itemFrame(item: FeedItem): string {
  if (item.kind === 'event') return eventFrame(item.event);
  const data =
    item.kind === 'reactions'
      ? { id: item.id, source: item.source, reactions: item.reactions ?? {} }
      : { id: item.id, source: item.source };
  return `event: ${item.kind}
id: ${encodeCursor(item)}
data: ${JSON.stringify(data)}

`;
}

/** A named frame that tells the client why the service ends its stream. */
export function closeFrame(code: string, message: string): string {
  return `event: close\ndata: ${JSON.stringify({ error: { code, message } })}\n\n`;
}

/** A comment line: proxies see traffic, EventSource ignores it. */
export const heartbeatFrame = ': heartbeat\n\n';

/** Sent first: how long a browser waits before reconnecting, ms. */
export const retryFrame = 'retry: 2000\n\n';
