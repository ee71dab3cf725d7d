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

/** The WebSocket subprotocol prefix that carries a token: `chat.token.<jwt>`, offered beside `chat.v2`. */
export const TOKEN_PROTOCOL_PREFIX = 'chat.token.';

/**
 * The token of a WebSocket upgrade: as for HTTP, then a `chat.token.<jwt>` subprotocol (what
 * browsers use: it keeps the token out of the URL, so out of access logs and console errors),
 * then `?token=` (old clients). The server never selects the token's subprotocol.
 */
export function extractSocketToken(headers: IncomingHttpHeaders, query?: URLSearchParams): string | undefined {
  const fromHeaders = extractToken(headers);
  if (fromHeaders) return fromHeaders;
  const offered = String(headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  const fromProtocol = offered?.slice(TOKEN_PROTOCOL_PREFIX.length);
  if (fromProtocol) return fromProtocol;
  return extractToken({}, query);
}
