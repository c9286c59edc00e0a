import { eventKey } from './ledger.js';

/** A change to an event, as a stream sends it (`event: reactions` or `event: removed`). */
export interface StreamChange {
  kind: string;
  key: string;
  reactions?: Record<string, number>;
}

export interface StreamClient {
  /** Every new event received, in order, by key; a key twice is a duplicate delivery. */
  received(): string[];
  /** Every change received (reaction counts, removals), in order. */
  changes(): StreamChange[];
  /** How many times the client had to reconnect. */
  reconnects(): number;
  /**
   * Resolves once the service answered the first request: from then on the stream holds every
   * event committed (a client without Last-Event-ID starts at the live tail).
   */
  opened: Promise<void>;
  /** The last `id:` seen, sent back as Last-Event-ID on reconnect. */
  lastEventId(): string | undefined;
  close(): Promise<void>;
}

/**
 * An SSE client of `GET /events/stream` that stays connected through faults: when the
 * stream ends or fails it reconnects with the last event id it saw (Last-Event-ID), the way a
 * browser's EventSource does, so it should receive every stored event exactly once.
 */
export function connectStream(
  url: string,
  headers: Record<string, string> = {},
  options: { lastEventId?: string } = {},
): StreamClient {
  const keys: string[] = [];
  const changes: StreamChange[] = [];
  let lastId: string | undefined = options.lastEventId;
  let reconnects = 0;
  let closed = false;
  const abort = new AbortController();
  let markOpened!: () => void;
  const opened = new Promise<void>((resolve) => (markOpened = resolve));

  const readOnce = async () => {
    const response = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        ...headers,
        ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
      },
      signal: abort.signal,
    });
    if (!response.ok || response.body === null)
      throw new Error(`stream answered ${response.status}`);
    markOpened();
    const decoder = new TextDecoder();
    let buffer = '';
    let data: string[] = [];
    let id: string | undefined;
    let event = 'message';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length > 0 && event !== 'ping' && event !== 'heartbeat') {
            const parsed = JSON.parse(data.join('\n')) as {
              source?: string;
              id?: string;
              reactions?: Record<string, number>;
            };
            if (typeof parsed.source === 'string' && typeof parsed.id === 'string') {
              const key = eventKey(parsed.source, parsed.id);
              if (event === 'message') keys.push(key);
              else if (event === 'reactions' || event === 'removed')
                changes.push({
                  kind: event,
                  key,
                  ...(parsed.reactions === undefined ? {} : { reactions: parsed.reactions }),
                });
            }
          }
          if (id !== undefined) lastId = id;
          data = [];
          id = undefined;
          event = 'message';
        } else if (line.startsWith(':')) {
          continue;
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'id') id = value;
          else if (field === 'event') event = value;
        }
      }
    }
  };

  const loop = (async () => {
    while (!closed) {
      try {
        await readOnce();
      } catch {
        // The service restarted or the connection failed: reconnect, as EventSource does.
      }
      if (closed) break;
      reconnects += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  return {
    received: () => keys,
    changes: () => changes,
    reconnects: () => reconnects,
    opened,
    lastEventId: () => lastId,
    async close() {
      closed = true;
      abort.abort();
      await loop;
    },
  };
}
