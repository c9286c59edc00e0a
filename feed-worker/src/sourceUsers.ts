import { FeedErrorCode, invalidConfig, type FeedEvent, type ParseResult } from '@feed/contracts';

/** Broker user → the sources it may publish as (WORKER_SOURCE_USERS). */
export type SourceUsers = ReadonlyMap<string, readonly string[]>;

/**
 * `registrar=registrar,hr-bot=hr-service|hr`: each entry a RabbitMQ user, `=`, its sources
 * (`|` between several). Empty: off, any user may publish as any source.
 */
export function parseSourceUsers(value: string): SourceUsers | undefined {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  const users = new Map<string, string[]>();
  entries.forEach((entry, index) => {
    const at = entry.indexOf('=');
    const user = at === -1 ? '' : entry.slice(0, at).trim();
    const sources = (at === -1 ? '' : entry.slice(at + 1))
      .split('|')
      .map((source) => source.trim())
      .filter((source) => source !== '');
    if (user === '' || sources.length === 0)
      throw invalidConfig(
        `WORKER_SOURCE_USERS: entry ${index + 1} is not <user>=<source>[|<source>…] (registrar=registrar)`,
      );
    users.set(user, [...(users.get(user) ?? []), ...sources]);
  });
  return users;
}

/**
 * With WORKER_SOURCE_USERS set, a message's events must come from sources its `user_id` may
 * publish as. RabbitMQ refuses a `user_id` other than the connection's user, so the property
 * is the broker's word for who sent the message, where `app_id` and a body's `source` are the
 * sender's own. A message without `user_id`, of a user not listed, or with an event of another
 * source is parked whole with FEED_ERR_SOURCE_FORBIDDEN.
 */
export function checkSourceUser(
  events: readonly FeedEvent[],
  userId: string | undefined,
  users: SourceUsers,
): ParseResult {
  const forbidden = (reason: string): ParseResult => ({
    ok: false,
    code: FeedErrorCode.SourceForbidden,
    reason,
  });
  if (userId === undefined || userId === '')
    return forbidden(
      "no user_id property: WORKER_SOURCE_USERS binds sources to broker users, so set user_id to the connection's user",
    );
  const sources = users.get(userId);
  if (sources === undefined)
    return forbidden(
      `user_id "${userId.slice(0, 40)}" may publish as no source (add it to WORKER_SOURCE_USERS)`,
    );
  const index = events.findIndex((event) => !sources.includes(event.source));
  if (index !== -1)
    return forbidden(
      `event ${index}: user "${userId.slice(0, 40)}" may publish as ${sources.join(', ').slice(0, 80)}, not "${events[index]!.source.slice(0, 40)}" (WORKER_SOURCE_USERS)`,
    );
  return { ok: true, events: [...events] };
}
