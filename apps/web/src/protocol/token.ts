// The legacy token is an HS256 JWT whose payload is {id, iat, exp}. The client cannot verify it
// (the secret is the server's); it reads the user id and the expiry to know who it is and when
// to ask for a new one.

export interface TokenPayload {
  userId: number;
  /** Seconds since the epoch. */
  expiresAt?: number;
}

export function readToken(token: string): TokenPayload | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
    const payload = JSON.parse(json) as { id?: unknown; exp?: unknown };
    const id = typeof payload.id === 'string' && /^\d{1,15}$/.test(payload.id) ? Number(payload.id) : payload.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
    return { userId: id, ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp } : {}) };
  } catch {
    return null;
  }
}

export const isExpired = (payload: TokenPayload, nowMs = Date.now()): boolean =>
  payload.expiresAt !== undefined && payload.expiresAt <= Math.floor(nowMs / 1000);
