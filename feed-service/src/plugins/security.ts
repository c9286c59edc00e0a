import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { ServiceConfig } from '../config.js';

type SecurityConfig = Pick<ServiceConfig, 'corsOrigins' | 'rateLimitMax' | 'maxQueryLength'>;

/** Security headers, CORS for the portal's origins, rate limiting and a cap on query length. */
export const securityPlugin = fp(
  async (app: FastifyInstance, config: SecurityConfig) => {
    app.addHook('onRequest', async (request) => {
      const question = request.url.indexOf('?');
      if (question !== -1 && request.url.length - question - 1 > config.maxQueryLength)
        throw new ApiError(
          414,
          ApiErrorCode.QueryTooLong,
          `the query string is longer than ${config.maxQueryLength} characters`,
        );
    });
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          // The page loads its own script and style only; data is never markup.
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
        },
      },
    });
    await app.register(cors, {
      origin: config.corsOrigins.length === 0 ? false : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
      exposedHeaders: ['ETag', 'Link', 'Retry-After'],
      maxAge: 600,
    });
    await app.register(rateLimit, {
      max: config.rateLimitMax,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          429,
          ApiErrorCode.RateLimited,
          `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`,
        ),
    });
  },
  { name: 'feed-security' },
);
