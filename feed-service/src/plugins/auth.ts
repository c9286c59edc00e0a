import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
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

type AuthConfig = Pick<ServiceConfig, 'readTokens' | 'apiKeys' | 'adminToken'>;

function presented(request: FastifyRequest, alsoApiKeyHeader: boolean): string | undefined {
  const header = request.headers['x-api-key'];
  if (alsoApiKeyHeader && typeof header === 'string') return header;
  return bearerToken(request.headers.authorization);
}

function check(
  token: string | undefined,
  accepted: readonly string[],
  what: string,
): ApiError | undefined {
  if (token === undefined)
    return new ApiError(401, ApiErrorCode.AuthMissing, `${what} required`, {
      param: 'Authorization',
    });
  if (!tokenMatches(token, accepted))
    return new ApiError(401, ApiErrorCode.AuthInvalid, `${what} is not valid`, {
      param: 'Authorization',
    });
  return undefined;
}

/** The access checks, one per kind of caller. Tokens are compared in constant time. */
export function createGuards(config: AuthConfig): Guards {
  const admin = config.adminToken === undefined ? [] : [config.adminToken];
  const readers = [...config.readTokens, ...admin];
  return {
    async read(request, reply) {
      if (config.readTokens.length === 0) return;
      const error = check(presented(request, false), readers, 'a bearer token');
      if (error !== undefined) {
        reply.header('www-authenticate', 'Bearer realm="feed"');
        throw error;
      }
    },
    async publish(request) {
      if (config.apiKeys.length === 0)
        throw new ApiError(
          403,
          ApiErrorCode.AuthDisabled,
          'publishing over HTTP is off: no SERVICE_API_KEYS configured',
        );
      const error = check(presented(request, true), config.apiKeys, 'an API key');
      if (error !== undefined) throw error;
    },
    async admin(request) {
      if (admin.length === 0)
        throw new ApiError(
          403,
          ApiErrorCode.AuthDisabled,
          'admin operations are off: no SERVICE_ADMIN_TOKEN configured',
        );
      const error = check(presented(request, false), admin, 'the admin token');
      if (error !== undefined) throw error;
    },
  };
}
