import { isExpired, readToken } from '../protocol/token';
import type { KeyValueStorage } from './outbox';

// Who this tab is signed in as. sessionStorage, not localStorage: two tabs of one browser can be
// two users (the first minute of a newcomer is a chat between two tabs), and a reload keeps it.

export interface Session {
  token: string;
  userId: number;
  name?: string;
}

const KEY = 'chat.session';

export function loadSession(storage: KeyValueStorage): Session | null {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    const payload = typeof s.token === 'string' ? readToken(s.token) : null;
    // An expired token would only be refused at the upgrade: ask for a new one at once.
    if (!payload || payload.userId !== s.userId || isExpired(payload)) return null;
    return { token: s.token as string, userId: payload.userId, ...(typeof s.name === 'string' ? { name: s.name } : {}) };
  } catch {
    return null;
  }
}

export function saveSession(storage: KeyValueStorage, session: Session): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: KeyValueStorage): void {
  storage.removeItem(KEY);
}

/** A session from a pasted token; null when it is not a token of this server's shape. */
export function sessionFromToken(token: string, name?: string): Session | null {
  const payload = readToken(token);
  return payload ? { token: token.trim(), userId: payload.userId, ...(name ? { name } : {}) } : null;
}
