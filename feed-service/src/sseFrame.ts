import type { StoredEvent } from '@feed/store';
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

/** A named frame that tells the client why the service ends its stream. */
export function closeFrame(code: string, message: string): string {
  return `event: close\ndata: ${JSON.stringify({ error: { code, message } })}\n\n`;
}

/** A comment line: proxies see traffic, EventSource ignores it. */
export const heartbeatFrame = ': heartbeat\n\n';

/** Sent first: how long a browser waits before reconnecting, ms. */
export const retryFrame = 'retry: 2000\n\n';
