import type { FastifyRequest } from 'fastify';
import { listReaderReactions } from '@feed/store';
import { etagOf, type SerializedBody } from './eventView.js';
import type { ReaderIdentity } from './readerIdentity.js';
import type { ReadRouter } from './readRouter.js';
import { CacheControl } from './sendBody.js';

interface Keyed {
  source: string;
  id: string;
  reacted?: string[];
  /** A group of a grouped page (`group=`): its events are its members. */
  members?: Keyed[];
}

/**
 * An answer of GET /events or /events/{id} as the reader who asks sees it: with a request that
 * names a reader (readerIdentity.ts), each event says which reactions are that reader's own
 * (`reacted: ["fire"]`), and the answer is `private` (only that reader's cache may keep it).
 * Without one it is the shared body, untouched. The shared body stays what the caches hold:
 * only the reader's part is read per request.
 */
export async function forReader<T extends SerializedBody>(
  request: FastifyRequest,
  value: T,
  shape: 'page' | 'item',
  deps: { readers: ReaderIdentity; readRouter: ReadRouter },
): Promise<{ value: T; cacheControl: string }> {
  const reader = await deps.readers.readerOf(request);
  if (reader === undefined) return { value, cacheControl: CacheControl.revalidate };
  const parsed = JSON.parse(value.body) as { items: Keyed[] } | Keyed;
  const items =
    shape === 'page'
      ? (parsed as { items: Keyed[] }).items.flatMap((item) => item.members ?? [item])
      : [parsed as Keyed];
  const { client } = await deps.readRouter.reader();
  const mine = await listReaderReactions(client, reader, items);
  for (const item of items) item.reacted = mine.get(`${item.source} ${item.id}`) ?? [];
  const body = JSON.stringify(parsed);
  // A new object: the shared one keeps its own compressed bytes.
  const own = { ...value, body, etag: etagOf(body) };
  delete own.bytes;
  delete own.encoded;
  return { value: own, cacheControl: CacheControl.reader };
}
