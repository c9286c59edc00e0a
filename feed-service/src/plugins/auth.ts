import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { ApiKey } from '../apiKeys.js';
import type { ServiceConfig } from '../config.js';
import { bearerToken, tokenMatches } from '../tokenMatch.js';

export interface Guards {
  /** Reading the feed: open unless read tokens are configured. */
  read: onRequestHookHandler;
  /** POST /events: an API key. */
  publish: onRequestHookHandler;
  /** Hide and erase: the admin token. */
  admin: onRequestHookHandler;
}

/**
 * Who a request is, from the credential it presents: the admin, the n-th read token
 * (`reader:1`…) or an API key (`key:registrar`…, named by its sources). Never the token itself: `id` is logged and
 * names rate-limit buckets.
 */
export interface Caller {
  kind: 'admin' | 'reader' | 'key';
  id: string;
  /** The API key, for `key` callers. */
  key?: ApiKey;
}

/**
 * The client a request counts for in rate limits and stream caps: its reader, key or the
 * admin when its credential is valid, else its address (behind SERVICE_TRUSTED_PROXIES, the
 * forwarded one). A wrong credential counts for its address, like any anonymous request.
 */
export function clientOf(
  request: FastifyRequest,
  callerOf: (request: FastifyRequest) => Caller | undefined,
): string {
  return callerOf(request)?.id ?? addressClient(request.ip);
}

/** The client a request without a valid credential counts for: its address. */
export function addressClient(address: string | undefined): string {
  return `address ${address}`;
}

type AuthConfig = Pick<ServiceConfig, 'readTokens' | 'apiKeys' | 'adminToken' | 'authFailureMax'>;

/**
 * Failed authentications of one address in the current minute: `read` looks without counting,
 * `count` adds one. One window per address and minute (requestWindows.ts).
 */
export interface FailureCounter {
  read(request: FastifyRequest): Promise<{ remaining: number; ttlInSeconds: number }>;
  count(request: FastifyRequest): Promise<unknown>;
}

function presented(request: FastifyRequest, alsoApiKeyHeader: boolean): string | undefined {
  const header = request.headers['x-api-key'];
  if (alsoApiKeyHeader && typeof header === 'string') return header;
  return bearerToken(request.headers.authorization);
}

/** Finds the caller a request's credential names, once per request. */
export function createCallerLookup(
  config: Pick<AuthConfig, 'readTokens' | 'apiKeys' | 'adminToken'>,
): (request: FastifyRequest) => Caller | undefined {
  const known = new WeakMap<FastifyRequest, Caller | null>();
  const admin = config.adminToken === undefined ? [] : [config.adminToken];
  const indexOf = (token: string, tokens: readonly string[]) =>
    tokens.findIndex((candidate) => tokenMatches(token, [candidate]));
  const identify = (request: FastifyRequest): Caller | null => {
    const bearer = presented(request, false);
    if (bearer !== undefined && tokenMatches(bearer, admin)) return { kind: 'admin', id: 'admin' };
    if (bearer !== undefined && config.readTokens.length > 0) {
      const reader = indexOf(bearer, config.readTokens);
      if (reader !== -1) return { kind: 'reader', id: `reader:${reader + 1}` };
    }
    const key = presented(request, true);
    if (key !== undefined && config.apiKeys.length > 0) {
      const index = indexOf(
        key,
        config.apiKeys.map((apiKey) => apiKey.secret),
      );
      const apiKey = config.apiKeys[index];
      if (apiKey !== undefined) return { kind: 'key', id: apiKey.id, key: apiKey };
    }
    return null;
  };
  return (request) => {
    // No credential: no one to look up, and nothing to remember (every answer asks, and a
    // WeakMap entry per request costs the garbage collector more than the lookup).
    if (request.headers.authorization === undefined && request.headers['x-api-key'] === undefined)
      return undefined;
    let caller = known.get(request);
    if (caller === undefined) {
      caller = identify(request);
      known.set(request, caller);
    }
    return caller ?? undefined;
  };
}

/**
 * Answers 429 to an address that failed `authFailureMax` times within the minute, whatever it
 * presents now (a token, an API key, a reader token).
 */
export async function refuseGuessing(
  config: Pick<AuthConfig, 'authFailureMax'>,
  failures: FailureCounter,
  request: FastifyRequest,
  reply?: FastifyReply,
): Promise<void> {
  const state = await failures.read(request);
  if (state.remaining > 0) return;
  reply?.header('retry-after', String(state.ttlInSeconds));
  throw new ApiError(
    429,
    ApiErrorCode.AuthRateLimited,
    `more than ${config.authFailureMax} failed authentications from ${request.ip} within a minute (SERVICE_AUTH_FAILURE_MAX); retry in ${state.ttlInSeconds} s with a valid credential`,
  );
}

/**
 * The access checks, one per kind of caller. Tokens are compared in constant time. An address
 * that failed `authFailureMax` times within a minute is answered 429 for the rest of that
 * minute, whatever it presents: guessing a token costs a minute per `authFailureMax` tries,
 * and the answer says nothing about whether a guess was right.
 */
export function createGuards(
  config: AuthConfig,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  failures: FailureCounter,
): Guards {
  const guard = (
    accepted: ReadonlyArray<Caller['kind']>,
    what: string,
    alsoApiKeyHeader: boolean,
  ) =>
    async function (request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const token = presented(request, alsoApiKeyHeader);
      if (token === undefined)
        throw new ApiError(401, ApiErrorCode.AuthMissing, `${what} required`, {
          param: 'Authorization',
        });
      await refuseGuessing(config, failures, request, reply);
      const caller = callerOf(request);
      if (caller !== undefined && accepted.includes(caller.kind)) return;
      await failures.count(request);
      request.log.warn({ client: request.ip, guard: what }, 'authentication failed');
      throw new ApiError(401, ApiErrorCode.AuthInvalid, `${what} is not valid`, {
        param: 'Authorization',
      });
    };

  const checkReader = guard(['reader', 'admin'], 'a bearer token', false);
  const checkKey = guard(['key'], 'an API key', true);
  const checkAdmin = guard(['admin'], 'the admin token', false);
  const readGuard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await checkReader(request, reply);
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 401)
        reply.header('www-authenticate', 'Bearer realm="feed"');
      throw error;
    }
  };
  return {
    // Reads open (no read tokens): a hook that answers at once, without a promise per request.
    read: config.readTokens.length === 0 ? (_request, _reply, done) => done() : readGuard,
    async publish(request, reply) {
      if (config.apiKeys.length === 0)
        throw new ApiError(
          403,
          ApiErrorCode.AuthDisabled,
          'publishing over HTTP is off: no SERVICE_API_KEYS configured',
        );
      await checkKey(request, reply);
    },
    async admin(request, reply) {
      if (config.adminToken === undefined)
        throw new ApiError(
          403,
          ApiErrorCode.AuthDisabled,
          'admin operations are off: no SERVICE_ADMIN_TOKEN configured',
        );
      await checkAdmin(request, reply);
    },
  };
}
