import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { employeeRegistered, structuredMessage } from './harness/feedEvents.js';
import { serviceAdminToken, serviceApiKey } from './harness/feedStack.js';
import { call, expectWellFormed } from './harness/httpAnswers.js';
import { PublishLedger } from './harness/ledger.js';
import { runPlainLoad } from './harness/plainLoad.js';
import { createPlainPublisher } from './harness/plainPublisher.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { createSummary } from './harness/summary.js';

const summary = createSummary('httpFuzz');
afterAll(() => summary.print());

const knownParams = ['limit', 'cursor', 'type', 'source', 'actor', 'subject', 'since', 'until'];

/**
 * Values that tend to break parsers: numbers at the edges, dates, unicode, control bytes
 * (NUL included), long text.
 */
const nastyValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '0',
    '-1',
    '1e3',
    '100',
    '101',
    'NaN',
    'Infinity',
    '9'.repeat(40),
    '1.5',
    '0x10',
    ' 5',
    '2024-02-30T00:00:00Z',
    '2024-01-01',
    'not-a-date',
    '9999-12-31T23:59:59Z',
    '',
    '%00',
    '\u0000',
    '../../etc/passwd',
    "' or 1=1 --",
    'czE',
    'czEwMQ',
    '!!!',
    'a'.repeat(5000),
    '__proto__',
    'constructor',
    '{"$ne":null}',
    'employee.registered,,',
    'a.b'.repeat(50),
  ),
  fc.integer().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const param = fc.tuple(
  fc.oneof(fc.constantFrom(...knownParams), fc.string({ maxLength: 12 })),
  nastyValue,
);
const query = fc.array(param, { maxLength: 6 }).map((pairs) => {
  const params = new URLSearchParams();
  for (const [key, value] of pairs) params.append(key, value);
  return params.toString();
});

describe('bad HTTP input against every endpoint', () => {
  it('answers random queries, ids and bodies with a 4xx JSON error or a valid page, never a 500 or a crash', async () => {
    await withFeedStack('e2e-http-fuzz', {}, async (stack) => {
      await stack.startWorker();
      const service = await stack.startService();
      const ledger = new PublishLedger();
      const publisher = createPlainPublisher(stack.amqpUrl);
      try {
        const events = Array.from({ length: 300 }, (_, i) =>
          employeeRegistered('e2e.fuzz', `f-${i}`),
        );
        await runPlainLoad({ publisher, ledger, events, toMessage: (e) => structuredMessage(e) });
        await settle(stack, service.url, ledger);
        const base = service.url;
        const admin = { authorization: `Bearer ${serviceAdminToken}` };

        await fc.assert(
          fc.asyncProperty(query, async (q) => {
            expectWellFormed(await call(`${base}/events?${q}`), `GET /events?${q}`, true);
          }),
          { numRuns: 150 },
        );
        await fc.assert(
          fc.asyncProperty(nastyValue, query, async (id, q) => {
            const path = `/events/${encodeURIComponent(id)}?${q}`;
            expectWellFormed(await call(`${base}${path}`), `GET ${path}`);
          }),
          { numRuns: 80 },
        );
        await fc.assert(
          fc.asyncProperty(query, nastyValue, async (q, lastEventId) => {
            const headers: Record<string, string> = {};
            // Header values must be ByteStrings; others are the client's own error.
            if (/^[\x20-\x7e]*$/.test(lastEventId)) headers['last-event-id'] = lastEventId;
            expectWellFormed(
              await call(`${base}/events/stream?${q}`, { headers }),
              `GET /events/stream?${q} Last-Event-ID ${lastEventId}`,
            );
          }),
          { numRuns: 60 },
        );
        await fc.assert(
          fc.asyncProperty(nastyValue, fc.boolean(), async (id, authorized) => {
            const path = `/events/${encodeURIComponent(id)}`;
            // Only ids that cannot exist: the seeded events stay in the feed.
            fc.pre(!id.startsWith('f-'));
            expectWellFormed(
              await call(`${base}${path}`, { method: 'DELETE', headers: authorized ? admin : {} }),
              `DELETE ${path}`,
            );
          }),
          { numRuns: 60 },
        );
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.json(),
              fc.string(),
              fc.constant('{"subject":'),
              fc.constant('[]'),
              fc.constant('{"person":"emp-\\u0000"}'),
            ),
            fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
            fc.boolean(),
            async (body, contentType, authorized) => {
              // Erasing someone only touches events whose subject or actor is them; the
              // seeded events have subjects emp-f-*, which fast-check's strings do not hit.
              fc.pre(!body.includes('emp-f-'));
              expectWellFormed(
                await call(`${base}/admin/erasures`, {
                  method: 'POST',
                  body,
                  headers: { 'content-type': contentType, ...(authorized ? admin : {}) },
                }),
                `POST /admin/erasures ${contentType} ${body.slice(0, 100)}`,
              );
            },
          ),
          { numRuns: 80 },
        );

        // Still alive, still right: the seeded events are all there, once each.
        expect((await call(`${base}/readyz`)).status).toBe(200);
        const { verdict } = await settle(stack, service.url, ledger);
        summary.add(
          expectNothingLostNothingTwice('http fuzz', verdict, await stack.duplicatesAbsorbed()),
        );
      } finally {
        await publisher.close();
      }
    });
  }, 120_000);

  // Every guarded endpoint with missing, malformed and wrong credentials (the wrong kind of
  // token too): never a 5xx, never let in, and guessing the admin token is throttled.
  it('answers bad or missing credentials on admin and reaction endpoints with a 4xx, and throttles guessing', async () => {
    await withFeedStack('e2e-http-auth-fuzz', {}, async (stack) => {
      const service = await stack.startService();
      const base = service.url;
      const endpoints: Array<{ method: string; path: string; body?: string }> = [
        { method: 'DELETE', path: '/events/f-1?source=e2e.fuzz' },
        { method: 'POST', path: '/admin/erasures', body: '{"person":"nobody-here"}' },
        { method: 'GET', path: '/admin/dead' },
        { method: 'GET', path: '/admin/dead/some-id' },
        { method: 'POST', path: '/admin/dead/replay', body: '{"all":true}' },
        { method: 'POST', path: '/admin/dead/purge', body: '{"all":true}' },
        { method: 'PUT', path: '/events/f-1/reactions/like?source=e2e.fuzz' },
        { method: 'DELETE', path: '/events/f-1/reactions/like?source=e2e.fuzz' },
      ];
      // Header values must be ByteStrings; others are the client's own error.
      const headerText = fc.string({ maxLength: 60 }).filter((v) => /^[\x20-\x7e]*$/.test(v));
      const credentials = fc.oneof(
        fc.constant<Record<string, string>>({}),
        headerText.map((v) => ({ authorization: v })),
        headerText.map((v) => ({ authorization: `Bearer ${v}` })),
        fc.constant({ authorization: `Bearer ${serviceApiKey}` }),
        fc.constant({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }),
        headerText.map((v) => ({ 'x-api-key': v })),
        headerText.map((v) => ({ 'x-feed-reader-token': v })),
        headerText.map((v) => ({ 'x-feed-reader': v })),
      );
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), credentials, async (endpoint, headers) => {
          const what = `${endpoint.method} ${endpoint.path} ${JSON.stringify(headers)}`;
          const answer = await call(`${base}${endpoint.path}`, {
            method: endpoint.method,
            headers: {
              ...headers,
              ...(endpoint.body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(endpoint.body === undefined ? {} : { body: endpoint.body }),
          });
          expectWellFormed(answer, what);
          expect(answer.status, what).toBeGreaterThanOrEqual(400);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }),
        { numRuns: 300 },
      );
      console.log(`bad credentials answered: ${JSON.stringify(Object.fromEntries(statuses))}`);

      // 40 wrong admin tokens in a row: past SERVICE_AUTH_FAILURE_MAX (30) they are refused
      // before any comparison, and so is the right one from the same address.
      const guesses: number[] = [];
      for (let i = 0; i < 40; i += 1)
        guesses.push(
          (
            await call(`${base}/admin/dead`, {
              headers: { authorization: `Bearer guess-${i}-0123456789abcdef` },
            })
          ).status,
        );
      expect(guesses.slice(-10)).toEqual(Array<number>(10).fill(429));
      const right = await call(`${base}/admin/dead`, {
        headers: { authorization: `Bearer ${serviceAdminToken}` },
      });
      expect(right.status).toBe(429);
      expect(JSON.parse(right.body).error.code).toBe('FEED_API_AUTH_RATE_LIMITED');
    });
  }, 120_000);

  // PostgreSQL text cannot hold NUL (SQLSTATE 22021): the service must refuse it with a 4xx
  // before it reaches the database. This lists any request answered with a 5xx.
  it('answers a NUL character in an id, a filter or a body with a 4xx', async () => {
    await withFeedStack('e2e-http-nul', {}, async (stack) => {
      const service = await stack.startService();
      const base = service.url;
      const admin = {
        authorization: `Bearer ${serviceAdminToken}`,
        'content-type': 'application/json',
      };
      const requests: Array<[string, string, RequestInit?]> = [
        ['GET /events/%00', `${base}/events/%00`],
        ['GET /events/x?source=%00', `${base}/events/x?source=%00`],
        ['GET /events?source=%00', `${base}/events?source=%00`],
        ['GET /events?actor=%00', `${base}/events?actor=%00`],
        ['GET /events?subject=%00', `${base}/events?subject=%00`],
        ['DELETE /events/%00', `${base}/events/%00`, { method: 'DELETE', headers: admin }],
        [
          'POST /admin/erasures NUL subject',
          `${base}/admin/erasures`,
          { method: 'POST', headers: admin, body: JSON.stringify({ subject: '\u0000' }) },
        ],
        [
          'POST /admin/erasures NUL person',
          `${base}/admin/erasures`,
          { method: 'POST', headers: admin, body: JSON.stringify({ person: '\u0000' }) },
        ],
      ];
      const serverErrors: string[] = [];
      for (const [label, url, init] of requests) {
        const answer = await call(url, init);
        if (answer.status >= 500) serverErrors.push(`${label} -> ${answer.status} ${answer.body}`);
      }
      console.log(`NUL requests answered with a 5xx:\n${serverErrors.join('\n')}`);
      expect(serverErrors).toEqual([]);
    });
  });

  // A path parameter over the router's maxParamLength is answered before any route: it must
  // still be the API's error shape, not Fastify's.
  it('answers an over-long id with the API error shape', async () => {
    await withFeedStack('e2e-http-long-id', {}, async (stack) => {
      const service = await stack.startService();
      const answer = await call(`${service.url}/events/${'a'.repeat(5000)}`);
      console.log(`GET /events/a{5000} -> ${answer.status} ${answer.body.slice(0, 120)}`);
      expectWellFormed(answer, 'GET /events/a{5000}');
    });
  });
});
