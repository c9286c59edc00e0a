import type { FeedItem } from '@feed/store';
import type { LiveFeed } from '../src/liveFeed.js';

/** A live feed the test drives: `deliver` hands items over as the real one does after a read. */
export function fakeFeed() {
  const changes = new Set<() => void>();
  const subscribers = new Set<(items: readonly FeedItem[]) => void>();
  const feed = {
    listening: true,
    lastPosition: { xid: '0', seq: '0' },
    visibility: undefined,
    subscribe: (listener: (items: readonly FeedItem[]) => void) => {
      subscribers.add(listener);
      return () => subscribers.delete(listener);
    },
    onChange: (listener: () => void) => {
      changes.add(listener);
      return () => changes.delete(listener);
    },
    announceChange: async () => {},
    close: async () => {},
    change: () => changes.forEach((listener) => listener()),
    /** What the live feed does after a read: the items to subscribers, then the change call. */
    deliver: (items: readonly FeedItem[]) => {
      subscribers.forEach((listener) => listener(items));
      changes.forEach((listener) => listener());
    },
  };
  return feed satisfies LiveFeed & { change(): void };
}
