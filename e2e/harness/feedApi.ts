export interface ApiEvent {
  id: string;
  source: string;
  type: string;
  reactions?: Record<string, number>;
  [key: string]: unknown;
}

export interface EventsPage {
  items: ApiEvent[];
  nextCursor: string | null;
}

/**
 * Reads the whole feed through `GET /events`, page by page with the cursor, as a client
 * does. Returns every item in the order served (a repeat would show as a duplicate).
 */
export async function readAllEvents(
  baseUrl: string,
  query: Record<string, string> = {},
): Promise<ApiEvent[]> {
  const all: ApiEvent[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page += 1) {
    const params = new URLSearchParams({ limit: '100', ...query });
    if (cursor !== null) params.set('cursor', cursor);
    const response = await fetch(`${baseUrl}/events?${params.toString()}`);
    if (!response.ok)
      throw new Error(`GET /events answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as EventsPage;
    all.push(...body.items);
    if (body.nextCursor === null || body.nextCursor === undefined || body.items.length === 0)
      return all;
    cursor = body.nextCursor;
  }
  throw new Error('GET /events: more than 10,000 pages');
}
