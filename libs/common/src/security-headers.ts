import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

// A Host header worth naming in a policy: a DNS name or an IP literal, with an optional port.
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** `'self'` plus this origin's WebSocket URLs (not every browser counts ws: under 'self'). */
function connectSources(req: IncomingMessage): string {
  const host = req.headers.host;
  return host && HOST.test(host) ? `'self' ws://${host} wss://${host}` : "'self'";
}

export interface SecurityHeaderOptions {
  /** Origins besides this one that serve uploaded images (UPLOAD_PUBLIC_BASE_URL on a CDN or bucket). */
  imageOrigins?: string[];
}

/**
 * helmet's headers on every answer. The policy suits a web client served from this origin as
 * plain built files (no inline scripts or styles) that loads images from /images/ and opens its
 * chat socket here; JSON answers are not affected by it. Differences from helmet's defaults:
 * no `upgrade-insecure-requests` (plain-HTTP installs would break), the socket origin in
 * `connect-src`, no inline styles, HSTS without `includeSubDomains` (the operator's other hosts
 * are not ours to decide for) and a same-site resource policy.
 */
export function securityHeaders(options: SecurityHeaderOptions = {}) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:', ...(options.imageOrigins ?? [])],
        'font-src': ["'self'", 'data:'],
        'connect-src': [(req: IncomingMessage) => connectSources(req)],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
    // A pull CDN on a sibling host (img.example.com for chat.example.com) may serve /images/.
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/** Swagger UI's page has inline styles and data: icons: its own policy, on /api-docs only. */
export const API_DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

export function apiDocsPolicy(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader('Content-Security-Policy', API_DOCS_CSP);
  next();
}
