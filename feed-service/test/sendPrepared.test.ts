import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { encodedBytes } from '../src/contentEncoding.js';
import { etagOf, type SerializedBody } from '../src/eventView.js';
import { CacheControl, sendBody, sendPrepared } from '../src/sendBody.js';

// Over minCompressBytes: answered in the coding asked for.
const body = JSON.stringify({
  items: Array.from({ length: 40 }, (_, i) => ({ id: `e-${i}`, summary: 'Someone joined' })),
});
const link = '</events?limit=20&cursor=abc>; rel="next"';
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app answering one kept body with sendPrepared, and the same body with sendBody. */
async function appFor(kept: SerializedBody, vary?: string) {
  const made = Fastify({ logger: false });
  const options = { cacheControl: CacheControl.revalidate, link };
  made.get('/prepared', (request, reply) => {
    if (vary !== undefined) reply.header('vary', vary);
    const sent = sendPrepared(request, reply, kept, options);
    return sent instanceof Promise ? sent.then(() => undefined) : undefined;
  });
  made.get('/plain', (request, reply) => {
    reply.header('link', link);
    return sendBody(request, reply, kept, options);
  });
  await made.ready();
  return made;
}

/** An answer's header lines, without the two that differ between any two answers. */
const linesOf = (headers: Record<string, unknown>) => {
  const { date: _date, connection: _connection, ...rest } = headers;
  return rest;
};

describe('sendPrepared', () => {
  it('answers a kept body with the very header lines sendBody writes, in each coding and as a 304', async () => {
    const kept: SerializedBody = { body, bytes: Buffer.from(body), etag: etagOf(body) };
    app = await appFor(kept);
    for (const encoding of ['identity', 'gzip', 'br'] as const) {
      const headers = { 'accept-encoding': encoding };
      // The first answer in a coding compresses; the ones after are prepared.
      const first = await app.inject({ url: '/prepared', headers });
      const again = await app.inject({ url: '/prepared', headers });
      const plain = await app.inject({ url: '/plain', headers });
      expect(again.statusCode).toBe(200);
      expect(again.rawPayload.equals(plain.rawPayload)).toBe(true);
      expect(linesOf(again.headers)).toEqual(linesOf(plain.headers));
      expect(linesOf(first.headers)).toEqual(linesOf(plain.headers));
      expect(again.headers.link).toBe(link);
      expect(again.headers.vary).toBe('Accept-Encoding');
      expect(again.headers['content-encoding']).toBe(
        encoding === 'identity' ? undefined : encoding,
      );
      const etag = String(again.headers.etag);
      const revalidate = { ...headers, 'if-none-match': etag };
      const notModified = await app.inject({ url: '/prepared', headers: revalidate });
      const plainNotModified = await app.inject({ url: '/plain', headers: revalidate });
      expect(notModified.statusCode).toBe(304);
      expect(linesOf(notModified.headers)).toEqual(linesOf(plainNotModified.headers));
      // RFC 9110 15.4.5: no content type or coding on a 304.
      expect(notModified.headers['content-type']).toBeUndefined();
      expect(notModified.headers['content-encoding']).toBeUndefined();
      expect(notModified.body).toBe('');
    }
  });

  it('keeps a Vary another plugin set (CORS: Origin) and adds Accept-Encoding to it', async () => {
    const kept: SerializedBody = { body, bytes: Buffer.from(body), etag: etagOf(body) };
    await encodedBytes(kept, 'gzip');
    app = await appFor(kept, 'Origin');
    for (let i = 0; i < 2; i += 1) {
      const answer = await app.inject({ url: '/prepared', headers: { 'accept-encoding': 'gzip' } });
      expect(answer.headers.vary).toBe('Origin, Accept-Encoding');
      expect(answer.headers['content-encoding']).toBe('gzip');
      expect(answer.headers.link).toBe(link);
    }
  });
});
