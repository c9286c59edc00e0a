import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  chooseEncoding,
  encodedBytes,
  encodedEtag,
  minCompressBytes,
  readyBytes,
  type ContentEncoding,
} from './contentEncoding.js';
import { etagMatches, type SerializedBody } from './eventView.js';

/**
 * The Cache-Control of each kind of answer. Every change reaches every reader within a
 * second, so no answer of the feed gets a freshness lifetime: caches keep the bodies and
 * revalidate them on every use, and the validators (one ETag per body and coding) make that
 * revalidation a 304 without a body. See the service README, "HTTP caching".
 */
export const CacheControl = {
  /** The feed's lists and events, the same for every reader: any cache may store them. */
  revalidate: 'no-cache',
  /** An answer that depends on who asks: only the reader's own cache may store it. */
  reader: 'private, no-cache',
  /** Errors, admin answers: nothing to reuse. */
  never: 'no-store',
} as const;

export interface SendBodyOptions {
  cacheControl: string;
  /** Default `application/json; charset=utf-8`. */
  type?: string;
  /** Told of each compression (a metric counts them). */
  onCompress?: (encoding: 'br' | 'gzip') => void;
}

/** Adds a field to Vary, keeping what another plugin (CORS: Origin) put there. */
function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined || current === '') {
    reply.header('vary', field);
    return;
  }
  const fields = String(current)
    .toLowerCase()
    .split(/\s*,\s*/);
  if (!fields.includes(field.toLowerCase()) && !fields.includes('*'))
    reply.header('vary', `${String(current)}, ${field}`);
}

/** The ETag of a body in each coding, kept on the body: a cached one derives each once. */
const etags = new WeakMap<SerializedBody, Partial<Record<ContentEncoding, string>>>();

function etagIn(value: SerializedBody, encoding: ContentEncoding): string {
  if (encoding === 'identity') return value.etag;
  let known = etags.get(value);
  if (known === undefined) etags.set(value, (known = {}));
  return (known[encoding] ??= encodedEtag(value.etag, encoding));
}

/** The coding of an answer: none for a small body, else the best the request accepts. */
export function answerEncoding(
  headers: IncomingHttpHeaders,
  value: SerializedBody,
): ContentEncoding {
  const size = value.bytes?.length ?? value.body.length;
  return size < minCompressBytes ? 'identity' : chooseEncoding(headers['accept-encoding']);
}

/**
 * Sends a body serialized once in the coding the client accepts (br, gzip or none), with the
 * ETag of that coding, or a 304 when the client holds it already. The compressed bytes are
 * kept on the body: a cached body is compressed once per coding, whoever asks, and once they
 * are ready it is sent without waiting on anything.
 */
export function sendBody(
  request: FastifyRequest,
  reply: FastifyReply,
  value: SerializedBody,
  options: SendBodyOptions,
): FastifyReply | Promise<FastifyReply> {
  const encoding = answerEncoding(request.headers, value);
  const etag = etagIn(value, encoding);
  addVary(reply, 'Accept-Encoding');
  reply.header('etag', etag);
  reply.header('cache-control', options.cacheControl);
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  reply.header('content-type', options.type ?? 'application/json; charset=utf-8');
  if (encoding === 'identity') return reply.send(value.bytes ?? value.body);
  reply.header('content-encoding', encoding);
  const ready = readyBytes(value, encoding);
  if (ready !== undefined) return reply.send(ready);
  return encodedBytes(value, encoding, options.onCompress).then((bytes) => reply.send(bytes));
}

/** The fixed header lines of a kept body's answer in one coding: a 200 and a 304. */
export interface PreparedAnswer {
  etag: string;
  ok: Readonly<Record<string, string>>;
  notModified: Readonly<Record<string, string>>;
}

export interface PreparedOptions extends SendBodyOptions {
  /** The answer's Link (the head's next page), fixed with the body. */
  link?: string;
}

/** The answers of a kept body, by coding, made on its first answer in each. */
const preparedAnswers = new WeakMap<
  SerializedBody,
  Partial<Record<ContentEncoding, PreparedAnswer>>
>();

function prepareAnswer(
  value: SerializedBody,
  encoding: ContentEncoding,
  options: PreparedOptions,
): PreparedAnswer {
  const etag = etagIn(value, encoding);
  // RFC 9110 15.4.5: a 304 carries the validators and caching fields of the 200, not its
  // content's type or coding.
  const notModified: Record<string, string> = {
    vary: 'Accept-Encoding',
    etag,
    'cache-control': options.cacheControl,
  };
  if (options.link !== undefined) notModified.link = options.link;
  const ok: Record<string, string> = {
    ...notModified,
    'content-type': options.type ?? 'application/json; charset=utf-8',
  };
  if (encoding !== 'identity') ok['content-encoding'] = encoding;
  return { etag, ok, notModified };
}

/** A kept body's answer in one coding, made on its first answer in that coding. */
export function preparedAnswer(
  value: SerializedBody,
  encoding: ContentEncoding,
  options: PreparedOptions,
): PreparedAnswer {
  let answers = preparedAnswers.get(value);
  if (answers === undefined) preparedAnswers.set(value, (answers = {}));
  return (answers[encoding] ??= prepareAnswer(value, encoding, options));
}

/**
 * sendBody for a body kept and answered many times with the same options (the head of the
 * feed, the live page's files): its header lines in each coding are one object, made on its
 * first answer in that coding and written with one call for every answer after. Through the
 * reply all the same: Fastify's onSend and onResponse hooks (metrics, logs) run as for any
 * answer. A body not compressed yet in the coding asked, or a reply holding a Vary already
 * (CORS's Origin, which must stay), takes sendBody's path.
 */
export function sendPrepared(
  request: FastifyRequest,
  reply: FastifyReply,
  value: SerializedBody,
  options: PreparedOptions,
): FastifyReply | Promise<FastifyReply> {
  const encoding = answerEncoding(request.headers, value);
  const bytes = encoding === 'identity' ? (value.bytes ?? value.body) : readyBytes(value, encoding);
  if (bytes === undefined || reply.hasHeader('vary')) {
    if (options.link !== undefined) reply.header('link', options.link);
    return sendBody(request, reply, value, options);
  }
  const answer = preparedAnswer(value, encoding, options);
  if (etagMatches(request.headers['if-none-match'], answer.etag))
    return reply.code(304).headers(answer.notModified).send();
  return reply.headers(answer.ok).send(bytes);
}
