import type { KeyValueStorage } from './outbox';
import { loadSession, saveSession, sessionFromToken } from './session';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = (payload: object) => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.sig`;

function memory(): KeyValueStorage {
  const data = new Map<string, string>();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('session', () => {
  it('comes back after a reload while its token is valid', () => {
    const storage = memory();
    const session = sessionFromToken(token({ id: 5, exp: Math.floor(Date.now() / 1000) + 3600 }), 'Bob');
    saveSession(storage, session!);
    expect(loadSession(storage)).toEqual(session);
  });

  it('is dropped once its token has expired, or when it does not match its token', () => {
    const storage = memory();
    saveSession(storage, { token: token({ id: 5, exp: 1000 }), userId: 5 });
    expect(loadSession(storage)).toBeNull();
    saveSession(storage, { token: token({ id: 5 }), userId: 6 });
    expect(loadSession(storage)).toBeNull();
    storage.setItem('chat.session', 'not json');
    expect(loadSession(storage)).toBeNull();
  });
});
