import type { IncomingMessage, ServerResponse } from 'node:http';
import { securityHeaders } from './security-headers';

/** The headers the middleware sets for one request (helmet only calls setHeader/removeHeader). */
function headersFor(middleware: ReturnType<typeof securityHeaders>, host: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = String(v)),
    removeHeader: (k: string) => delete headers[k.toLowerCase()],
    getHeader: (k: string) => headers[k.toLowerCase()],
  } as unknown as ServerResponse;
  let nextCalled = false;
  middleware({ headers: { host } } as IncomingMessage, res, () => (nextCalled = true));
  expect(nextCalled).toBe(true);
  return headers;
}

describe('securityHeaders', () => {
  it('lets images come from the upload base URL of another origin too', () => {
    const csp = headersFor(securityHeaders({ imageOrigins: ['https://img.example.com'] }), 'chat.example.com')['content-security-policy'];
    expect(csp).toContain("img-src 'self' data: blob: https://img.example.com;");
  });

  it('takes IPv6 literals with a port as the socket origin', () => {
    const csp = headersFor(securityHeaders(), '[::1]:8080')['content-security-policy'];
    expect(csp).toContain("connect-src 'self' ws://[::1]:8080 wss://[::1]:8080;");
  });
});
