import { FeedError, FeedErrorCode } from '@feed/contracts';

/**
 * `pg` is an optional peer dependency (a service that only publishes does not need it), so the
 * outbox's entry points say what they need when they are handed no pg object, instead of
 * failing later on a missing method.
 */
export function assertPgObject(
  value: unknown,
  where: string,
  kind: 'a pg Pool' | 'a pg client or Pool',
): void {
  const methods = kind === 'a pg Pool' ? ['connect', 'query'] : ['query'];
  if (
    typeof value === 'object' &&
    value !== null &&
    methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  )
    return;
  throw new FeedError(
    FeedErrorCode.Config,
    `${where} needs ${kind}, got ${value === null ? 'null' : typeof value}: the outbox runs on ` +
      'node-postgres, an optional peer dependency of @feed/publisher (npm install pg)',
  );
}
