import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '@feed/store';
import { encodedBody, etagMatches, etagOf, serializePage } from '../src/eventView.js';
import { bearerToken, tokenMatches } from '../src/tokenMatch.js';
import { validationToApiError } from '../src/validationError.js';
import { eventFrame } from '../src/sseFrame.js';

const stored = (seq: number): StoredEvent => ({
  seq: String(seq),
  id: `e${seq}`,
  source: 's',
  type: 't',
  time: '2026-01-01T00:00:00.000Z',
  subject: null,
  actor: null,
  data: { text: 'line one\nline two <img src=x>' },
  reactions: { like: 1 },
  storedAt: '2026-01-01T00:00:00.000Z',
});

describe('serializePage', () => {
  it('gives a next cursor only when the store returned the extra row', () => {
    const rows = [stored(5), stored(4), stored(3)];
    const more = serializePage(rows, 2);
    expect(JSON.parse(more.body).items.map((i: { id: string }) => i.id)).toEqual(['e5', 'e4']);
    expect(more.nextCursor).toBe(JSON.parse(more.body).items[1].cursor);
    expect(serializePage(rows, 3).nextCursor).toBeNull();
    expect(serializePage([], 3)).toMatchObject({
      nextCursor: null,
      body: '{"items":[],"nextCursor":null}',
    });
  });
});

describe('encodedBody', () => {
  it('holds the UTF-8 bytes of the body and the ETag etagOf gives it', () => {
    const body = '{"items":[{"name":"Zoë 🎉 \\u0000"}],"nextCursor":null}';
    const encoded = encodedBody(body);
    expect(encoded.bytes.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(encoded.etag).toBe(etagOf(body));
    expect(encoded.body).toBe(body);
  });
});

describe('etagMatches', () => {
  it('compares weakly, in lists, and with *', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b", "a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(undefined, '"a"')).toBe(false);
  });
});

describe('tokens', () => {
  it('matches only configured tokens and reads Bearer headers', () => {
    expect(tokenMatches('secret-1', ['other', 'secret-1'])).toBe(true);
    expect(tokenMatches('secret-2', ['other', 'secret-1'])).toBe(false);
    expect(tokenMatches('x', [])).toBe(false);
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('validationToApiError', () => {
  it.each([
    [
      'querystring',
      { keyword: 'maximum', instancePath: '/limit', params: {} },
      'FEED_API_BAD_LIMIT',
      'limit',
    ],
    [
      'querystring',
      { keyword: 'type', instancePath: '/type/0', params: {} },
      'FEED_API_BAD_TYPE',
      'type',
    ],
    [
      'querystring',
      { keyword: 'format', instancePath: '/since', params: {} },
      'FEED_API_BAD_TIME',
      'since',
    ],
    [
      'querystring',
      { keyword: 'pattern', instancePath: '/after', params: {} },
      'FEED_API_BAD_CURSOR',
      'after',
    ],
    [
      'querystring',
      { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'x' } },
      'FEED_API_UNKNOWN_PARAM',
      'x',
    ],
    [
      'querystring',
      { keyword: 'required', instancePath: '', params: { missingProperty: 'person' } },
      'FEED_API_BAD_PARAM',
      'person',
    ],
    [
      'headers',
      { keyword: 'maxLength', instancePath: '/last-event-id', params: {} },
      'FEED_API_BAD_LAST_EVENT_ID',
      'Last-Event-ID',
    ],
    [
      'body',
      { keyword: 'required', instancePath: '/0', params: { missingProperty: 'type' } },
      'FEED_API_INVALID_EVENT',
      '/0',
    ],
  ])('%s %o → %s', (context, problem, code, param) => {
    const error = validationToApiError(context, [problem]);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe(code);
    expect(error.param).toBe(param);
  });
});

describe('eventFrame', () => {
  it('is one SSE message whose id is the cursor and whose data is one line', () => {
    const frame = eventFrame(stored(9));
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^id: [A-Za-z0-9_-]+$/);
    expect(lines[1]!.startsWith('data: {')).toBe(true);
    expect(lines.slice(2)).toEqual(['', '']);
    expect(JSON.parse(lines[1]!.slice(6)).data.text).toBe('line one\nline two <img src=x>');
  });
});
