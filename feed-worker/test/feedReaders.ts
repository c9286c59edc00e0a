import type { AddressInfo } from 'node:net';
import { createPool, type Pool } from '@feed/store';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { readAllEvents, type ApiEvent } from '../../e2e/harness/feedApi.js';
import { eventKey } from '../../e2e/harness/ledger.js';
import { connectStream, type StreamClient } from '../../e2e/harness/streamClient.js';
import { judgeDelivery } from '../../e2e/harness/verdict.js';
import { waitFor } from '../../test-support/index.js';
import { buildApp } from '../../feed-service/src/app.js';
import { loadConfig } from '../../feed-service/src/config.js';

export interface SourceWatch {
  /**
   * Waits until the readers show every id of the source, then asserts that `GET /events`
   * (walked page by page with the cursor) and the live stream each returned exactly these
   * ids, each once, and nothing else of the source.
   */
  expectEachOnce(ids: readonly string[]): Promise<void>;
}

export interface FeedReaders {
  /**
   * Opens the live stream of `source` and resolves once it is open: call it before the
   * source's events are published.
   */
  watch(source: string): Promise<SourceWatch>;
  close(): Promise<void>;
}

/**
 * What the feed's readers see of a test database: the real service (built in-process, reading
 * the database the worker writes) walked by cursor through `GET /events` and followed
 * through `GET /events/stream`, the way the portal reads it. A duplicate or a gap anywhere
 * between the worker's commit and a reader shows here; a count of rows could not show one,
 * since the unique key makes a second row impossible.
 */
export async function startFeedReaders(databaseUrl: string): Promise<FeedReaders> {
  const pool: Pool = createPool({ connectionString: databaseUrl, max: 4 });
  const app: FastifyInstance = await buildApp({
    config: loadConfig({ DATABASE_URL: databaseUrl }),
    pool,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // A stream starts at the live tail: wait until the service listens for new events.
  await waitFor(
    'the service to be ready',
    async () => (await app.inject('/readyz')).statusCode === 200,
  );
  const streams: StreamClient[] = [];

  return {
    async watch(source) {
      const stream = connectStream(`${base}/events/stream?${new URLSearchParams({ source })}`);
      streams.push(stream);
      await stream.opened;
      return {
        async expectEachOnce(ids) {
          const published = new Set(ids.map((id) => eventKey(source, id)));
          let walked: ApiEvent[] = [];
          // The head of the feed is served from memory, refreshed on each NOTIFY: right after
          // the last commit it may lag. Whatever is still missing at the deadline is lost.
          await waitFor(
            `GET /events?source=${source} to show ${published.size} events`,
            async () => {
              walked = await readAllEvents(base, { source });
              const shown = new Set(walked.map((e) => eventKey(e.source, e.id)));
              return [...published].every((key) => shown.has(key));
            },
            { timeout: 20_000, interval: 100 },
          ).catch(() => undefined);
          const verdict = judgeDelivery({
            confirmed: published,
            stored: walked,
            expectedParked: new Map(),
            dead: [],
            codeOf: () => undefined,
          });
          expect(verdict.lost, 'published events missing from GET /events').toEqual([]);
          expect(verdict.storedTwice, 'events GET /events returned twice').toEqual([]);
          expect(verdict.unconfirmedStored, 'events GET /events returned, never published').toEqual(
            [],
          );
          await waitFor(
            `the stream of ${source} to deliver ${published.size} events`,
            () => stream.received().length >= published.size,
            { timeout: 20_000, interval: 100 },
          ).catch(() => undefined);
          expect([...stream.received()].sort(), 'what the stream delivered').toEqual(
            [...published].sort(),
          );
        },
      };
    },
    async close() {
      await Promise.all(streams.map((stream) => stream.close()));
      await app.close();
      await pool.end();
    },
  };
}
