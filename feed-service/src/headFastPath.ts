import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { readyBytes } from './contentEncoding.js';
import { etagMatches } from './eventView.js';
import type { HeadCache, HeadOptionsOf } from './headCache.js';
import type { ServiceMetrics } from './plugins/metrics.js';
import { addressClient } from './plugins/auth.js';
import { apiSecurityHeaders, windowHeaders } from './plugins/security.js';
import { readerHeader, readerTokenHeader } from './readerIdentity.js';
import type { RequestWindows } from './requestWindows.js';
import { answerEncoding, preparedAnswer, type PreparedAnswer } from './sendBody.js';

/**
 * The head of the feed without Fastify's per-request path: the answer most readers ask for,
 * to the request that names nothing but a `limit`, is written straight from its prepared
 * header lines and bytes by the server's request handler, before Fastify makes a request, a
 * reply, a route lookup, a schema check and its hooks for it. What those would do for this
 * request is done here, and the same way: the API's security headers (never HSTS: the fast
 * path is only installed where no proxy is trusted, on the service's plain HTTP socket), the
 * request counted in its client's rate-limit window (with its three headers), the head's
 * prepared answer (or its 304), the request metrics, the head hit. Every other request, and
 * this one whenever anything would make Fastify's answer differ (a credential or reader
 * header, an Origin for CORS, a client over its limit, a head not in memory or not compressed
 * yet in the coding asked, the app closing), is left to Fastify, which answers it as before.
 * A test compares the two answers line by line (headFastPath.int.test.ts).
 */
export interface HeadFastPathOptions {
  headCache: HeadCache;
  headOptionsOf: HeadOptionsOf;
  /** The rate limit's windows (plugins/security.ts), shared with Fastify's hook. */
  windows: RequestWindows;
  rateLimitMax: number;
  metrics: ServiceMetrics;
  /** CORS is on: a request with an Origin gets its headers from Fastify's plugin. */
  cors: boolean;
}

/** The request headers that make an answer depend on who asks: left to Fastify. */
const namingHeaders = ['authorization', 'x-api-key', readerHeader, readerTokenHeader];

/** The exact URLs of the head, each with its page size: `/events` and `/events?limit=1..100`. */
function headUrls(): Map<string, number> {
  const urls = new Map<string, number>([['/events', 20]]);
  for (let limit = 1; limit <= 100; limit += 1) urls.set(`/events?limit=${limit}`, limit);
  return urls;
}

/** An answer's header lines as one flat list, the rate limit's two changing values left out. */
interface Lines {
  before: string[];
  after: string[];
}

function linesOf(fixed: Readonly<Record<string, string>>, bytes: number | undefined): string[] {
  const lines = Object.entries(fixed).flat();
  if (bytes !== undefined) lines.push('content-length', String(bytes));
  return lines;
}

export type HeadFastPath = ((request: IncomingMessage, response: ServerResponse) => boolean) & {
  /** Stops answering (the app is closing: Fastify answers 503 from now on). */
  stop(): void;
};

/** The fast path: answers the request and says true, or leaves it to Fastify and says false. */
export function headFastPath(options: HeadFastPathOptions): HeadFastPath {
  const { headCache, headOptionsOf, windows, rateLimitMax, metrics } = options;
  const urls = headUrls();
  const limitHeader = String(rateLimitMax);
  const security = Object.entries(apiSecurityHeaders).flat();
  const lines = new WeakMap<PreparedAnswer, { ok: Lines; notModified: Lines }>();
  const linesFor = (answer: PreparedAnswer, bytes: number) => {
    let known = lines.get(answer);
    if (known === undefined) {
      const before = [...security, 'x-ratelimit-limit', limitHeader];
      known = {
        ok: { before, after: linesOf(answer.ok, bytes) },
        notModified: { before, after: linesOf(answer.notModified, undefined) },
      };
      lines.set(answer, known);
    }
    return known;
  };
  const okRequests = metrics.requests.labels({ method: 'GET', route: '/events', status: 200 });
  const notModifiedRequests = metrics.requests.labels({
    method: 'GET',
    route: '/events',
    status: 304,
  });
  const latency = metrics.latency.labels({ method: 'GET', route: '/events' });
  let stopped = false;

  const answer = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (stopped || request.method !== 'GET') return false;
    const limit = urls.get(request.url ?? '');
    if (limit === undefined) return false;
    const headers = request.headers;
    for (const name of namingHeaders) if (headers[name] !== undefined) return false;
    if (options.cors && headers.origin !== undefined) return false;
    const head = headCache.page(limit);
    if (head === undefined) return false;
    const encoding = answerEncoding(headers, head);
    const bytes = encoding === 'identity' ? head.bytes : readyBytes(head, encoding);
    if (bytes === undefined) return false;
    // The client as Fastify names it without a credential and without trusted proxies.
    const client = addressClient(request.socket.remoteAddress);
    // One over the limit is Fastify's to count and answer (429 with its error body).
    if (windows.read(client).count >= rateLimitMax) return false;
    const started = performance.now();
    const { remaining, reset } = windowHeaders(windows.hit(client), rateLimitMax);
    const prepared = preparedAnswer(head, encoding, headOptionsOf(head, limit));
    const fresh = etagMatches(headers['if-none-match'], prepared.etag);
    const { before, after } = linesFor(prepared, bytes.length)[fresh ? 'notModified' : 'ok'];
    response.writeHead(fresh ? 304 : 200, [
      ...before,
      'x-ratelimit-remaining',
      remaining,
      'x-ratelimit-reset',
      reset,
      ...after,
    ]);
    if (fresh) response.end();
    else response.end(bytes);
    metrics.headHits.inc();
    metrics.headFastAnswers.inc();
    (fresh ? notModifiedRequests : okRequests).inc();
    latency.observe((performance.now() - started) / 1000);
    return true;
  };
  return Object.assign(answer, {
    stop() {
      stopped = true;
    },
  });
}
