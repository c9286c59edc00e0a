import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import {
  apiSecurityHeaders,
  documentSecurityHeaders,
  recordHeaders,
  transportSecurity,
} from '../src/plugins/security.js';

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

describe('the security headers of each kind of answer', () => {
  it('gives JSON answers the headers that matter to JSON (OWASP REST Security Cheat Sheet)', () => {
    expect(apiSecurityHeaders).toEqual({
      // A body opened in a browser runs and loads nothing, and no page may frame it.
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      // Other sites cannot embed it with a no-cors request.
      'cross-origin-resource-policy': 'same-origin',
      // Read as its Content-Type, never sniffed into a script or a document.
      'x-content-type-options': 'nosniff',
      // Framing refused by browsers that predate frame-ancestors.
      'x-frame-options': 'DENY',
    });
  });

  it("gives documents helmet's headers but HSTS, with the live page's CSP", () => {
    expect(Object.keys(documentSecurityHeaders).sort()).toEqual([
      'content-security-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'x-content-type-options',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-frame-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ]);
    // The page loads its own script, style and images only; data is never markup.
    const csp = documentSecurityHeaders['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(documentSecurityHeaders['referrer-policy']).toBe('no-referrer');
  });

  it('keeps HSTS apart, for the answers that go out over HTTPS (RFC 6797, 7.2)', () => {
    expect(transportSecurity).toEqual({
      name: 'strict-transport-security',
      value: 'max-age=31536000; includeSubDomains',
    });
  });
});
