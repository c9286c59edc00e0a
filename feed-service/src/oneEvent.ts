import type { StoredEvent } from '@feed/store';
import { ApiError, ApiErrorCode } from './apiErrors.js';

/**
 * The one event an id (and optional source) names, from what `getEvent` found: 404 for none,
 * 409 `FEED_API_AMBIGUOUS_ID` when several sources use the id (the message lists them).
 */
export function oneEvent(found: readonly StoredEvent[]): StoredEvent {
  if (found.length === 0)
    throw new ApiError(404, ApiErrorCode.NotFound, 'no such event', { param: 'id' });
  if (found.length > 1)
    throw new ApiError(
      409,
      ApiErrorCode.AmbiguousId,
      `${found.length} sources use this id; add ?source= (one of: ${found.map((e) => e.source).join(', ')})`,
      { param: 'source' },
    );
  return found[0]!;
}
