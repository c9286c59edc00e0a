import { FeedErrorCode, boundedText, type FeedEvent, type ParseResult } from '@feed/contracts';
import type { ParkReason } from './park.js';
import type { RefusedEvent } from './storing.js';

/** What becomes of one message once its batch was stored. */
export type Outcome =
  | { kind: 'stored' }
  | {
      kind: 'park';
      why: ParkReason;
      /** Only the events the database refused, when it stored the others of a bulk message. */
      body?: Buffer;
      headers?: Record<string, string>;
    };

/**
 * The one place that decides "stored or parked". A message that cannot be read as events is
 * parked whole with the parser's reason; one whose events were all stored is done; one whose
 * only event, or every event, the database refused is parked whole; a bulk message of which
 * the database refused some events is parked as a message holding just those, with their
 * reasons, while the others stay stored.
 */
export function outcomeOf(parsed: ParseResult, refused: readonly RefusedEvent[] = []): Outcome {
  if (!parsed.ok) return { kind: 'park', why: { code: parsed.code, reason: parsed.reason } };
  if (refused.length === 0) return { kind: 'stored' };
  const total = parsed.events.length;
  const first = refused[0]!;
  const where = (r: RefusedEvent) => (total === 1 ? '' : `event ${r.index} (${r.event.id}): `);
  if (refused.length === total)
    return {
      kind: 'park',
      why: {
        code: FeedErrorCode.Refused,
        reason:
          total === 1
            ? first.reason
            : `all ${total} events refused by the database; first, ${where(first)}${first.reason}`,
      },
    };
  const events: FeedEvent[] = refused.map((r) => r.event);
  return {
    kind: 'park',
    why: {
      code: FeedErrorCode.Refused,
      reason: boundedText(
        `${refused.length} of ${total} events refused by the database (the others are stored; ` +
          `this copy holds only the refused ones): ${refused.map((r) => `${where(r)}${r.reason}`).join('; ')}`,
        900,
      ),
    },
    body: Buffer.from(JSON.stringify(events)),
    headers: {
      'x-feed-partial': `${refused.length} of ${total} events`,
      'x-feed-refused-indexes': boundedText(refused.map((r) => r.index).join(','), 500),
    },
  };
}
