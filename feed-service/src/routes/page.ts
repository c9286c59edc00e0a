import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { etagOf, type SerializedBody } from '../eventView.js';
import { documentHeaders } from '../plugins/security.js';
import { CacheControl, sendPrepared } from '../sendBody.js';

/**
 * The static files of the live page. The path is the same from `src/routes` and from
 * `dist/routes`: both sit two levels below the package, beside `src/public` (so a deployment
 * ships `feed-service/src/public` along with `dist`).
 */
const publicDir = new URL('../../src/public/', import.meta.url);

/**
 * The page's text rule is the contracts' own compiled module (it imports nothing), so the
 * page, the tests and any other reader of the catalogue render an event the same way.
 */
const eventTextFile = new URL('./eventText.js', import.meta.resolve('@feed/contracts'));

const script = 'text/javascript; charset=utf-8';
const files = {
  '/': { file: new URL('index.html', publicDir), type: 'text/html; charset=utf-8' },
  '/feed.js': { file: new URL('feed.js', publicDir), type: script },
  '/feed-view.js': { file: new URL('feed-view.js', publicDir), type: script },
  '/feed-groups.js': { file: new URL('feed-groups.js', publicDir), type: script },
  '/feed.css': { file: new URL('feed.css', publicDir), type: 'text/css; charset=utf-8' },
  '/event-text.js': { file: eventTextFile, type: script },
} as const;

/**
 * GET /, /feed.js, /feed-view.js, /feed-groups.js, /event-text.js, /feed.css: read once at start, served from memory with an ETag, compressed
 * when the browser asks (each coding once).
 */
export const pageRoutes: FastifyPluginAsync = async (app) => {
  // The page is a document: helmet's headers, with the CSP that lets it load its own files.
  app.addHook('onRequest', documentHeaders);
  for (const [path, { file, type }] of Object.entries(files)) {
    let body: string;
    try {
      // The source map comment would send the browser's tools after a file not served.
      body = readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    } catch (error) {
      // An image built with only `dist` has no page: the API must still start.
      app.log.error({ err: error, file }, 'live page file missing; the page is not served');
      continue;
    }
    // Compressed once per coding, on the first request that asks for it.
    const served: SerializedBody = { body, bytes: Buffer.from(body), etag: etagOf(body) };
    app.get(path, { schema: { hide: true } }, async (request, reply) =>
      sendPrepared(request, reply, served, { cacheControl: CacheControl.revalidate, type }),
    );
  }
};
