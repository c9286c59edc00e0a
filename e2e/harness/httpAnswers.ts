import { expect } from 'vitest';

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** One request, read whole (a stream that opened: its status only). */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const contentType = response.headers.get('content-type') ?? '';
  // A stream that opened is a valid answer: read no further.
  if (contentType.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, contentType, body: '' };
  }
  return { status: response.status, contentType, body: await response.text() };
}

/** Never a 5xx; a 4xx is our JSON error shape; a 2xx of a list is a valid page. */
export function expectWellFormed(answer: Answer, what: string, page = false): void {
  expect(answer.status, `${what}: ${answer.body.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.contentType, what).toMatch(/^application\/json/);
    const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
    expect(body.error?.code, what).toMatch(/^FEED_API_[A-Z_]+$/);
    expect(typeof body.error?.message, what).toBe('string');
  } else if (page && answer.status === 200) {
    const body = JSON.parse(answer.body) as { items?: unknown; nextCursor?: unknown };
    expect(Array.isArray(body.items), what).toBe(true);
    expect(body.nextCursor === null || typeof body.nextCursor === 'string', what).toBe(true);
  }
}
