import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import helmet from 'helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { ServiceConfig } from '../config.js';
import { clientOf, type Caller } from './auth.js';

type SecurityConfig = Pick<
  ServiceConfig,
  'corsOrigins' | 'rateLimitMax' | 'maxQueryLength' | 'trustedProxies'
> & {
  /** The caller a request's credential names (plugins/auth.ts), or undefined. */
  callerOf: (request: FastifyRequest) => Caller | undefined;
};

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
    // helmet's middleware, built once: @fastify/helmet builds it again on every request (the
    // CSP parsed and twelve middlewares made each time), measured at 15x the time of setting
    // the same headers from a middleware built once: tens of µs on each answer.
    const securityHeaders = helmet({
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
    app.addHook('onRequest', (request, reply, done) =>
      securityHeaders(request.raw, reply.raw, (error) =>
        done(error === undefined ? undefined : (error as Error)),
      ),
    );
    await app.register(cors, {
      origin: config.corsOrigins.length === 0 ? false : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
      exposedHeaders: ['ETag', 'Link', 'Retry-After'],
      maxAge: 600,
    });
    const proxyHint =
      config.trustedProxies.length === 0
        ? ' (behind a reverse proxy, set SERVICE_TRUSTED_PROXIES so that each client counts on its own)'
        : '';
    await app.register(rateLimit, {
      // Applied by the hook below, before any route's own checks: otherwise a request that
      // fails authentication would be answered before it was counted.
      global: false,
      max: config.rateLimitMax,
      timeWindow: 60_000,
      // Buckets kept in memory (least recently used dropped): one per address, reader and key.
      cache: 50_000,
      keyGenerator: (request) => clientOf(request, config.callerOf),
      errorResponseBuilder: (request, context) =>
        new ApiError(
          429,
          ApiErrorCode.RateLimited,
          `rate limit of ${context.max} requests per minute for ${clientOf(request, config.callerOf)} exceeded (SERVICE_RATE_LIMIT_MAX); retry in ${context.after}${callerHint(request)}`,
        ),
    });
    const callerHint = (request: FastifyRequest) =>
      config.callerOf(request) === undefined ? proxyHint : '';
    const limit = app.rateLimit();
    app.addHook('onRequest', async function (request, reply) {
      // Health and metrics opt out (config.rateLimit false): probes must always be answered.
      if (request.routeOptions.config.rateLimit === false) return;
      await limit.call(this, request, reply);
    });
  },
  { name: 'feed-security' },
);
