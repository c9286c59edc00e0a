import type { FeedEvent } from '@feed/contracts';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../test-support/index.js';
import { employeeRegistered, reactionAdded, structuredMessage } from './harness/feedEvents.js';
import { serviceAdminToken, type FeedStack } from './harness/feedStack.js';
import { eventKey } from './harness/ledger.js';
import { createPlainPublisher } from './harness/plainPublisher.js';
import { withFeedStack } from './harness/scenario.js';
import { connectStream, type StreamClient } from './harness/streamClient.js';

interface Item {
  id: string;
  source: string;
  reactions: Record<string, number>;
}

const admin = { authorization: `Bearer ${serviceAdminToken}` };

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const body = response.status === 200 ? await response.json() : undefined;
  return { status: response.status, etag: response.headers.get('etag'), body };
}

/** Every place a reader finds an event, on one replica. */
async function everywhere(base: string, event: FeedEvent) {
  const head = (await get(`${base}/events?limit=50`)).body as { items: Item[] };
  const filtered = (await get(`${base}/events?type=${event.type}&limit=50`)).body as {
    items: Item[];
  };
  const single = await get(`${base}/events/${event.id}?source=${event.source}`);
  const find = (items: Item[]) => items.find((i) => i.id === event.id && i.source === event.source);
  return {
    head: find(head.items),
    filtered: find(filtered.items),
    single: single.status === 200 ? (single.body as Item) : undefined,
  };
}

const ms = (since: number) => Date.now() - since;

describe('every change reaches every reader', () => {
  it('reactions, a hide and an erasure through the real worker: both replicas, caches, ETags and streams follow', async () => {
    await withFeedStack('e2e-changes', {}, async (stack: FeedStack) => {
      await stack.startWorker();
      const replicas = [await stack.startService(), await stack.startService()];
      const publisher = createPlainPublisher(stack.amqpUrl);
      const streams: Array<{ name: string; client: StreamClient }> = [];
      const timings: Record<string, number> = {};
      try {
        const target = { ...employeeRegistered('e2e.changes', 'target'), actor: 'p-author' };
        const byErased = { ...employeeRegistered('e2e.changes', 'by-erased'), actor: 'p-erased' };
        const toHide = employeeRegistered('e2e.changes', 'to-hide');
        await publisher.send([target, byErased, toHide].map((e) => structuredMessage(e)));
        for (const replica of replicas)
          await waitFor('the events on every replica', async () => {
            const seen = await everywhere(replica.url, toHide);
            return seen.head !== undefined;
          });

        const [a, b] = replicas as unknown as [{ url: string }, { url: string }];
        streams.push(
          { name: 'all, replica A', client: connectStream(`${a.url}/events/stream`) },
          {
            name: 'type=employee.registered, replica B',
            client: connectStream(`${b.url}/events/stream?type=employee.registered`),
          },
          {
            name: 'actor=p-erased, replica A',
            client: connectStream(`${a.url}/events/stream?actor=p-erased`),
          },
        );
        // The streams start at the head: every change from here on reaches them.
        await waitFor('the streams connected', async () => {
          for (const replica of replicas) {
            const text = await (await fetch(`${replica.url}/metrics`)).text();
            if (!/^feed_stream_clients [1-9]/m.test(text)) return false;
          }
          return true;
        });
        const oldHead = await get(`${a.url}/events?limit=50`);
        const oldFiltered = await get(`${b.url}/events?type=employee.registered&limit=50`);

        // 1. A message holding only reactions: two people, one of them the person erased later.
        const reacted = Date.now();
        await publisher.send([
          {
            ...structuredMessage(reactionAdded('e2e.reactions', 'r-1', target, 'p-fan', 'fire')),
            content: Buffer.from(
              JSON.stringify([
                reactionAdded('e2e.reactions', 'r-1', target, 'p-fan', 'fire'),
                reactionAdded('e2e.reactions', 'r-2', target, 'p-erased', 'fire'),
              ]),
            ),
          },
        ]);
        const counted = { fire: 2 };
        for (const [index, replica] of replicas.entries())
          await waitFor(`the new counts on replica ${index}`, async () => {
            const seen = await everywhere(replica.url, target);
            return [seen.head, seen.filtered, seen.single].every(
              (item) => JSON.stringify(item?.reactions) === JSON.stringify(counted),
            );
          });
        timings['reaction → every list, both replicas'] = ms(reacted);
        for (const { name, client } of streams.slice(0, 2))
          await waitFor(`the counts on stream ${name}`, () =>
            client
              .changes()
              .some(
                (c) =>
                  c.kind === 'reactions' &&
                  c.key === eventKey(target.source, target.id) &&
                  JSON.stringify(c.reactions) === JSON.stringify(counted),
              ),
          );
        timings['reaction → every stream'] = ms(reacted);
        // A client revalidating with the old ETag gets the new counts, not a 304.
        const revalidated = await get(`${a.url}/events?limit=50`, {
          'if-none-match': oldHead.etag!,
        });
        expect(revalidated.status).toBe(200);
        expect(revalidated.etag).not.toBe(oldHead.etag);
        const again = await get(`${b.url}/events?type=employee.registered&limit=50`, {
          'if-none-match': oldFiltered.etag!,
        });
        expect(again.status).toBe(200);

        // 2. A hide: the event leaves every list, cache and stream.
        const hidden = Date.now();
        const hide = await fetch(`${a.url}/events/${toHide.id}?source=${toHide.source}`, {
          method: 'DELETE',
          headers: admin,
        });
        expect(hide.status).toBe(200);
        for (const replica of replicas)
          await waitFor('the hidden event gone', async () => {
            const seen = await everywhere(replica.url, toHide);
            return (
              seen.head === undefined && seen.filtered === undefined && seen.single === undefined
            );
          });
        timings['hide → every list, both replicas'] = ms(hidden);
        for (const { name, client } of streams.slice(0, 2))
          await waitFor(`the removal on stream ${name}`, () =>
            client
              .changes()
              .some((c) => c.kind === 'removed' && c.key === eventKey(toHide.source, toHide.id)),
          );
        timings['hide → every stream'] = ms(hidden);

        // 3. An erasure: their event leaves; the counts they added drop.
        const erased = Date.now();
        const erase = await fetch(`${b.url}/admin/erasures`, {
          method: 'POST',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ person: 'p-erased' }),
        });
        expect(erase.status).toBe(200);
        for (const replica of replicas)
          await waitFor('the erasure everywhere', async () => {
            const gone = await everywhere(replica.url, byErased);
            const counts = await everywhere(replica.url, target);
            return (
              gone.head === undefined &&
              gone.single === undefined &&
              JSON.stringify(counts.head?.reactions) === JSON.stringify({ fire: 1 }) &&
              JSON.stringify(counts.single?.reactions) === JSON.stringify({ fire: 1 })
            );
          });
        timings['erasure → every list, both replicas'] = ms(erased);
        // The stream filtered by the erased person learns the removal of their event.
        const personStream = streams[2]!.client;
        await waitFor('the removal on the stream filtered by the erased person', () =>
          personStream
            .changes()
            .some((c) => c.kind === 'removed' && c.key === eventKey(byErased.source, byErased.id)),
        );
        await waitFor('the lower count on the unfiltered stream', () =>
          streams[0]!.client
            .changes()
            .some(
              (c) =>
                c.kind === 'reactions' &&
                c.key === eventKey(target.source, target.id) &&
                JSON.stringify(c.reactions) === JSON.stringify({ fire: 1 }),
            ),
        );
        timings['erasure → every stream'] = ms(erased);
        // No change frame names the person.
        for (const { client } of streams)
          expect(JSON.stringify(client.changes())).not.toContain('p-erased');

        console.log(
          Object.entries(timings)
            .map(([what, value]) => `${what.padEnd(40)} ${value} ms`)
            .join('\n'),
        );
      } finally {
        for (const { client } of streams) await client.close();
        await publisher.close();
      }
    });
  }, 90_000);
});
