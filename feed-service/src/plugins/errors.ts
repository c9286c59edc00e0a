import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { classifyDatabaseError } from '@feed/store';
import { ApiError, ApiErrorCode, isApiError } from '../apiErrors.js';
import { validationToApiError } from '../validationError.js';

/** Fastify's own errors that are the client's fault, by their stable code. */
const fastifyCodes: Record<string, { status: number; code: ApiErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: ApiErrorCode.BodyTooLarge,
    message: 'request body is too large',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: ApiErrorCode.UnsupportedMediaType,
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: ApiErrorCode.BadBody,
    message: 'the JSON body is empty',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: ApiErrorCode.BadBody,
    message: 'the body is not valid JSON',
  },
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The code of a body that fails the route's schema. Default FEED_API_INVALID_EVENT. */
    bodyErrorCode?: ApiErrorCode;
  }
}

/** Any error, as the API's one error shape. */
export function toApiError(error: FastifyError, bodyCode?: ApiErrorCode): ApiError {
  if (isApiError(error)) return error;
  if (error.validation !== undefined)
    return validationToApiError(
      error.validationContext ?? 'querystring',
      error.validation,
      bodyCode,
    );
  const known = fastifyCodes[error.code];
  if (known !== undefined) return new ApiError(known.status, known.code, known.message);
  if (error instanceof SyntaxError || error.statusCode === 400)
    return new ApiError(400, ApiErrorCode.BadBody, 'the body is not valid JSON');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return new ApiError(error.statusCode, ApiErrorCode.BadParam, error.message);
  // Input PostgreSQL's text cannot hold (NUL, an untranslatable character) that got past
  // the schemas: still the client's input, not a bug of the service.
  if (error.code === '22021' || error.code === '22P05')
    return new ApiError(
      400,
      ApiErrorCode.BadParam,
      'a parameter holds a character the feed cannot store',
      {
        cause: error,
      },
    );
  if (classifyDatabaseError(error) === 'transient')
    return new ApiError(503, ApiErrorCode.DatabaseUnavailable, 'the feed database is unavailable', {
      cause: error,
    });
  return new ApiError(500, ApiErrorCode.Internal, 'internal error', { cause: error });
}

/** One JSON shape for every 4xx and 5xx, including Fastify's validation errors and 404s. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const apiError = toApiError(error, request.routeOptions.config.bodyErrorCode);
      // request.ip: the client, forwarded by a trusted proxy (SERVICE_TRUSTED_PROXIES).
      if (apiError.statusCode >= 500)
        request.log.error({ err: error, client: request.ip }, apiError.message);
      else
        request.log.info(
          { code: apiError.code, param: apiError.param, client: request.ip },
          apiError.message,
        );
      if (apiError.statusCode === 503) reply.header('retry-after', '5');
      // An error is about this request only: nothing a cache should keep or revalidate, and
      // none of the headers a route set for the answer it did not give.
      reply.removeHeader('etag');
      reply.removeHeader('content-encoding');
      reply.header('cache-control', 'no-store');
      return reply.code(apiError.statusCode).send(apiError.toBody());
    });
    app.setNotFoundHandler((request, reply) => {
      const error = new ApiError(
        404,
        ApiErrorCode.RouteNotFound,
        `no route ${request.method} ${request.url.split('?')[0]}`,
      );
      return reply.code(404).header('cache-control', 'no-store').send(error.toBody());
    });
  },
  { name: 'feed-errors' },
);
