import type { FeedItem } from '@feed/store';
import type { LiveFeed } from './liveFeed.js';

export interface LiveFeedFollower {
  /** What the live feed hands over, as soon as it does. */
  items(items: readonly FeedItem[]): void;
  /** The live feed listens again: a change may have gone unheard. */
  missed(): void;
}

/**
 * Follows the live feed for a cache. The live feed hands the items to subscribers, then calls
 * the change listeners; a change call after no items means it listens again and may have
 * missed changes. Returns what stops following.
 */
export function followLiveFeed(liveFeed: LiveFeed, follower: LiveFeedFollower): () => void {
  let noted = false;
  const stops = [
    liveFeed.subscribe((items) => {
      noted = true;
      follower.items(items);
    }),
    liveFeed.onChange(() => {
      if (!noted) follower.missed();
      noted = false;
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
