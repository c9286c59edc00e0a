import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { Negotiator } from '@fastify/accept-negotiator';

/** The codings the API answers in, best first: what portals and proxies ask for. */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

const compressors = {
  // Quality 5: within a few per cent of brotli's best on a page of JSON, at a fraction of a
  // millisecond; quality 11 takes tens of milliseconds per page, and a page changes often.
  br: promisify(brotliCompress),
  gzip: promisify(gzip),
} as const;
const brotliOptions = (size: number) => ({
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 5,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    [constants.BROTLI_PARAM_SIZE_HINT]: size,
  },
});

// Few distinct Accept-Encoding values exist in practice; a hostile client sending a new one
// per request only clears the cache, it cannot grow it. (The negotiator stores its answer,
// null for "none of ours", under the header.)
const seen = new Map<string, string>();
const cache = {
  get: (key: string) => seen.get(key),
  has: (key: string) => seen.has(key),
  set(key: string, value: string) {
    if (seen.size >= 256) seen.clear();
    seen.set(key, value);
    return cache;
  },
};
const negotiator = new Negotiator<ContentEncoding>({
  supportedValues: ['br', 'gzip', 'identity'],
  cache,
});

/**
 * Bodies smaller than this are sent as they are: compressing them saves less than the
 * coding's own header and the CPU it costs (the threshold @fastify/compress uses too).
 */
export const minCompressBytes = 1024;

/**
 * The coding to answer a request in. Without the header, or when it accepts none of ours,
 * the answer is not encoded (RFC 9110 12.5.3: identity is always acceptable unless excluded,
 * and an answer in identity is better than a 406 to a client that excluded everything).
 */
export function chooseEncoding(acceptEncoding: string | undefined): ContentEncoding {
  if (acceptEncoding === undefined || acceptEncoding === '') return 'identity';
  return negotiator.negotiate(acceptEncoding) ?? 'identity';
}

/**
 * The entity tag of a body in a coding. Each coding is its own representation with its own
 * tag (RFC 9110 8.8.3), so a cache holding the gzip bytes never revalidates them with the tag
 * of the identity bytes, and the other way round.
 */
export function encodedEtag(etag: string, encoding: ContentEncoding): string {
  return encoding === 'identity' ? etag : `${etag.slice(0, -1)}-${encoding}"`;
}

/** A body in every coding asked for so far, each compressed on its first request only. */
export interface EncodableBody {
  body: string;
  /** The body encoded once, for answers sent many times (UTF-8 encoding per send is costly). */
  bytes?: Buffer;
  /**
   * The compressed bodies, filled on the first request for each coding. A body held by a
   * cache is one version, so each version is compressed once per coding; a body built for
   * one request is compressed for that request.
   */
  encoded?: Partial<Record<Exclude<ContentEncoding, 'identity'>, Promise<Buffer>>>;
}

/**
 * The compressed bodies once ready, by the very body object they were made from (a copy
 * holding another body, such as a reader's own page, never finds them): a cached body is
 * sent without waiting on a promise.
 */
const ready = new WeakMap<EncodableBody, Partial<Record<'br' | 'gzip', Buffer>>>();

/** The bytes of a body in a coding, when compressed already. */
export function readyBytes(
  value: EncodableBody,
  encoding: Exclude<ContentEncoding, 'identity'>,
): Buffer | undefined {
  return ready.get(value)?.[encoding];
}

/** The bytes of a body in a coding. */
export function encodedBytes(
  value: EncodableBody,
  encoding: Exclude<ContentEncoding, 'identity'>,
  onCompress?: (encoding: Exclude<ContentEncoding, 'identity'>) => void,
): Promise<Buffer> {
  const encoded = (value.encoded ??= {});
  let bytes = encoded[encoding];
  if (bytes === undefined) {
    const input = value.bytes ?? Buffer.from(value.body);
    bytes =
      encoding === 'br'
        ? compressors.br(input, brotliOptions(input.length))
        : compressors.gzip(input);
    encoded[encoding] = bytes;
    onCompress?.(encoding);
    const made = bytes;
    made.then(
      (done) => {
        if (encoded[encoding] !== made) return;
        let known = ready.get(value);
        if (known === undefined) ready.set(value, (known = {}));
        known[encoding] = done;
      },
      // Never keep a failure: the next request tries again.
      () => {
        if (encoded[encoding] === made) delete encoded[encoding];
      },
    );
  }
  return bytes;
}
