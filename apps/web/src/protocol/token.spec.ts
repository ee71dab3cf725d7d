import { isExpired, readToken } from './token';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = (payload: object) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}.signature`;

describe('readToken', () => {
  it('reads the user id (number or numeric string) and the expiry', () => {
    expect(readToken(token({ id: 23, iat: 1, exp: 2_000_000_000 }))).toEqual({ userId: 23, expiresAt: 2_000_000_000 });
    expect(readToken(token({ id: '23', exp: 5 }))).toEqual({ userId: 23, expiresAt: 5 });
    expect(readToken(`  ${token({ id: 7 })}\n`)).toEqual({ userId: 7 });
  });

  it('refuses what is not a token of this shape', () => {
    for (const t of ['', 'abc', 'a.b', token({ id: 0 }), token({ id: -1 }), token({ sub: 'x' }), 'a.%%%.c']) expect(readToken(t)).toBeNull();
  });

  it('knows an expired one', () => {
    expect(isExpired({ userId: 1, expiresAt: 100 }, 100_000)).toBe(true);
    expect(isExpired({ userId: 1, expiresAt: 101 }, 100_000)).toBe(false);
    expect(isExpired({ userId: 1 }, 100_000)).toBe(false);
  });
});
