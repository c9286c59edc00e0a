import type { EventFilter, StoredEvent } from '../eventRow.js';
import type { Queryable } from '../pool.js';
import { comparePositions, type Position } from '../position.js';
import { listChangesAfter, type StoredChange } from './listChangesAfter.js';
import { listEventsAfter } from './listEventsAfter.js';
import { readVisibility } from './readVisibility.js';

/** One item of the feed's order: a new event, or a change to one. */
export type FeedItem = { kind: 'event'; event: StoredEvent } | StoredChange;

export interface ListFeedAfterOptions extends EventFilter {
  after: Position;
  limit: number;
  horizon?: string | undefined;
}

export function itemPosition(item: FeedItem): Position {
  return item.kind === 'event' ? item.event : item;
}

/**
 * Everything after a position, oldest first: new events and changes to events, merged in the
 * feed's one order, at most `limit`. What a stream sends, and what a client resuming with
 * Last-Event-ID missed.
 */
export async function listFeedAfter(
  client: Queryable,
  options: ListFeedAfterOptions,
): Promise<FeedItem[]> {
  // One horizon for both reads: each is complete below it, so their merge is too.
  const horizon = options.horizon ?? (await readVisibility(client)).horizon;
  const [events, changes] = await Promise.all([
    listEventsAfter(client, { ...options, horizon }),
    listChangesAfter(client, { ...options, horizon }),
  ]);
  const items: FeedItem[] = [
    ...events.map((event) => ({ kind: 'event' as const, event })),
    ...changes,
  ];
  items.sort((a, b) => comparePositions(itemPosition(a), itemPosition(b)));
  // A list cut at `limit` is complete only up to its last item; the first `limit` of the
  // merge never go past it.
  return items.slice(0, options.limit);
}
