import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../apiErrors.js';
import type { ServiceConfig } from '../config.js';
import type { RequestWindows, WindowState } from '../requestWindows.js';
import { clientOf, type Caller } from './auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route is never rate-limited (health, metrics: probes must be answered). */
    rateLimit?: boolean;
  }
}

/** Windows kept in memory (least recently counted dropped): one per address, reader and key. */
export const requestWindowKeys = 50_000;

type SecurityConfig = Pick<
  ServiceConfig,
  'corsOrigins' | 'rateLimitMax' | 'maxQueryLength' | 'trustedProxies'
> & {
  /** The caller a request's credential names (plugins/auth.ts), or undefined. */
  callerOf: (request: FastifyRequest) => Caller | undefined;
  /** The rate limit's windows: one per client and minute, shared with the head's fast path. */
  windows: RequestWindows;
};

/**
 * The security headers of every answer of the API, errors included: the set the OWASP REST
 * Security Cheat Sheet asks of a JSON API. A JSON body is never rendered as a document, so
 * the CSP forbids everything (a body opened in a browser runs nothing, and no page may frame
 * it), nosniff keeps a browser from reading it as anything but its Content-Type, CORP keeps
 * other sites from embedding it with a no-cors request. HSTS is the set's too, but only on an
 * answer that goes out over HTTPS (transportSecurity). helmet's other headers (referrer,
 * opener, origin-agent cluster, DNS prefetch, download and cross-domain policies, the legacy
 * XSS filter) steer how a browser treats a document: they stay on the documents
 * (documentSecurityHeaders). Each line costs on every answer (Node validates and writes it,
 * every client parses it): bench README, "The head's header lines".
 */
export const apiSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};
const apiHeaderNames = Object.keys(apiSecurityHeaders);

/**
 * HSTS, on the answers of a request that came over HTTPS: the service's own socket never
 * does (it listens for plain HTTP), a trusted proxy's does when it says so in
 * `X-Forwarded-Proto` (SERVICE_TRUSTED_PROXIES). RFC 6797 (7.2) has a server send it over
 * secure transport only: a browser ignores it over plain HTTP, where anyone on the path could
 * have written it. Behind a proxy that is not trusted, the proxy that ends TLS sends it.
 */
export const transportSecurity = {
  name: 'strict-transport-security',
  value: 'max-age=31536000; includeSubDomains',
} as const;

/**
 * helmet's headers for the documents a browser renders (the live page and its files, Swagger
 * UI): its middleware run once against a recorder, with the page's own CSP (its own script,
 * style and images only; data is never markup). They replace the API's set on those routes
 * (documentHeaders).
 */
export const documentSecurityHeaders: Readonly<Record<string, string>> = recordHeaders(
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
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
    // On the answers of HTTPS requests only, for documents as for JSON: transportSecurity.
    strictTransportSecurity: false,
  }),
);

/** An onRequest hook for the routes of a document: helmet's set over the API's. */
export function documentHeaders(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  reply.headers(documentSecurityHeaders);
  done();
}

/**
 * What the rate limit's headers say of a client's window after a request: the requests left
 * (`x-ratelimit-remaining`) and the seconds until it ends (`x-ratelimit-reset`, `Retry-After`).
 */
export function windowHeaders(
  state: WindowState,
  max: number,
): { remaining: string; reset: string } {
  return {
    remaining: String(Math.max(0, max - state.count)),
    reset: String(Math.ceil(state.resetInMs / 1000)),
  };
}

/** Security headers, CORS for the portal's origins, rate limiting and a cap on query length. */
export const securityPlugin = fp(
  async (app: FastifyInstance, config: SecurityConfig) => {
    // One synchronous hook for the query's length and the headers: a hook per concern costs
    // a promise and a turn of Fastify's hook runner on every request.
    app.addHook('onRequest', (request, reply, done) => {
      const url = request.url;
      const question = url.indexOf('?');
      if (question !== -1 && url.length - question - 1 > config.maxQueryLength) {
        done(
          new ApiError(
            414,
            ApiErrorCode.QueryTooLong,
            `the query string is longer than ${config.maxQueryLength} characters`,
          ),
        );
        return;
      }
      for (const name of apiHeaderNames) reply.header(name, apiSecurityHeaders[name]!);
      if (request.protocol === 'https')
        reply.header(transportSecurity.name, transportSecurity.value);
      done();
    });
    // Without origins CORS answers nothing: its hook would run on every request to add
    // nothing, and a preflight gets the same 404 from the not-found handler either way.
    if (config.corsOrigins.length > 0)
      await app.register(cors, {
        origin: config.corsOrigins,
        methods: ['GET', 'HEAD', 'POST', 'DELETE'],
        allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
        exposedHeaders: ['ETag', 'Link', 'Retry-After'],
        maxAge: 600,
      });
    const proxyHint =
      config.trustedProxies.length === 0
        ? ' (behind a reverse proxy, set SERVICE_TRUSTED_PROXIES so that each client counts on its own)'
        : '';
    // One window per client (its reader, key or address: clientOf) and minute. Counted
    // here, before any route's own checks: otherwise a request that fails authentication
    // would be answered before it was counted.
    const windows = config.windows;
    const max = config.rateLimitMax;
    const limitHeader = String(max);
    app.addHook('onRequest', (request, reply, done) => {
      // Health and metrics opt out (config.rateLimit false): probes must always be answered.
      if (request.routeOptions.config.rateLimit === false) {
        done();
        return;
      }
      const client = clientOf(request, config.callerOf);
      const state = windows.hit(client);
      const { remaining, reset } = windowHeaders(state, max);
      reply.header('x-ratelimit-limit', limitHeader);
      reply.header('x-ratelimit-remaining', remaining);
      reply.header('x-ratelimit-reset', reset);
      if (state.count <= max) {
        done();
        return;
      }
      reply.header('retry-after', reset);
      const hint = config.callerOf(request) === undefined ? proxyHint : '';
      done(
        new ApiError(
          429,
          ApiErrorCode.RateLimited,
          `rate limit of ${max} requests per minute for ${client} exceeded (SERVICE_RATE_LIMIT_MAX); retry in ${reset} s${hint}`,
        ),
      );
    });
  },
  { name: 'feed-security' },
);

type Middleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * The headers a middleware sets on every response, recorded once. helmet's, configured
 * with fixed directives, look at neither the request nor the response: each sets its header,
 * and one removes X-Powered-By, which Fastify never sets.
 */
export function recordHeaders(middleware: Middleware): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    failed = error;
  });
  if (failed !== undefined) throw failed as Error;
  return headers;
}
