import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../apiErrors.js';

/** The API error for an error Fastify's router raises before any route, by its stable code. */
export function frameworkApiError(error: FastifyError): ApiError {
  // The messages never echo the path: it may be kilobytes long, and it is the client's own.
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(414, ApiErrorCode.PathTooLong, 'a path parameter is too long');
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, ApiErrorCode.BadParam, 'the path is not a valid URL');
    default:
      return new ApiError(500, ApiErrorCode.Internal, 'internal error', { cause: error });
  }
}

/** Fastify's `frameworkErrors` option: these errors bypass the error handler. */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const apiError = frameworkApiError(error);
  if (apiError.statusCode >= 500) request.log.error({ err: error }, apiError.message);
  else request.log.info({ code: apiError.code }, apiError.message);
  void reply.code(apiError.statusCode).send(apiError.toBody());
}
