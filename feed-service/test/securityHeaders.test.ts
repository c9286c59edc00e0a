import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { recordHeaders } from '../src/plugins/security.js';

describe('recordHeaders', () => {
  it("records exactly the headers helmet's middleware sets on a real response", () => {
    const middleware = helmet({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'"] } } });
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    response.setHeader('X-Powered-By', 'something');
    let failed: unknown = 'not called';
    middleware(response.req, response, (error?: unknown) => {
      failed = error;
    });
    expect(failed).toBeUndefined();
    const recorded = recordHeaders(middleware);
    expect(recorded).toEqual(
      Object.fromEntries(
        Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]),
      ),
    );
    expect(Object.keys(recorded)).toHaveLength(12);
    expect(recorded['x-powered-by']).toBeUndefined();
  });
});
