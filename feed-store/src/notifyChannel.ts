/**
 * Each commit that changed the feed (new events, reactions, a hide, an erasure) is followed
 * by a NOTIFY on this channel, payload `changed`, or carries one itself (a batch of events
 * only: see storeEvents). Listeners read everything after what they have seen.
 */
export const FEED_EVENTS_CHANNEL = 'feed_events';
