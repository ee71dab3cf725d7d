import type { IncomingHttpHeaders } from 'node:http';

/**
 * Where clients put the token: the legacy `token` header (raw JWT), `Authorization: Bearer`
 * (extension), or `?token=` on the WebSocket URL (browsers cannot set upgrade headers).
 */
export function extractToken(headers: IncomingHttpHeaders, query?: URLSearchParams): string | undefined {
  const header = headers['token'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const fromQuery = query?.get('token');
  return fromQuery?.trim() || undefined;
}
