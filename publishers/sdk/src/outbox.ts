import { FeedError, FeedErrorCode, type FeedEvent } from '@feed/contracts';
import type pg from 'pg';
import { buildMessages, type PublishInput } from './buildMessage.js';
import { OUTBOX_CHANNEL } from './outboxMigration.js';
import { assertPgObject } from './pgArgument.js';

export interface EnqueueOptions {
  /** Source of events that name none. */
  source?: string;
}

/**
 * Writes events into the outbox, on the caller's client, inside the caller's transaction:
 * committed, they will reach the feed (the relay publishes them); rolled back, they never
 * will. Validated like `publish`, so a wrong event fails here, before the commit.
 */
export async function enqueue(
  client: Pick<pg.ClientBase, 'query'>,
  events: PublishInput | readonly PublishInput[],
  options: EnqueueOptions = {},
): Promise<FeedEvent[]> {
  assertPgObject(client, 'enqueue(client, …)', 'a pg client or Pool');
  const list: readonly PublishInput[] = Array.isArray(events) ? events : [events as PublishInput];
  if (options.source === undefined && list.some((event) => event?.source === undefined))
    throw new FeedError(
      FeedErrorCode.PublishInvalid,
      'enqueue: every event needs a source: set it on the event or pass { source }',
    );
  const built = buildMessages(events, { source: options.source ?? '' }).map((m) => m.event);
  await client.query(
    `insert into feed_outbox (source, event_id, type, event)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])`,
    [
      built.map((e) => e.source),
      built.map((e) => e.id),
      built.map((e) => e.type),
      built.map((e) => JSON.stringify(e)),
    ],
  );
  // Delivered at commit only, so a relay never wakes for a row it cannot see yet.
  await client.query('select pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
  return built;
}
