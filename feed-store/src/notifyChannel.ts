/**
 * After each commit that stored new events, the store sends a NOTIFY on this channel whose
 * payload is the highest `seq` stored. Listeners read everything above what they have seen.
 */
export const FEED_EVENTS_CHANNEL = 'feed_events';
