import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { CoreConfig } from '@app/config';
import { DomainError } from '@app/common';
import { TokenService } from './token.service';

const secret = 'unit-test-secret-0123456789';

function service(overrides: Partial<CoreConfig> = {}): TokenService {
  return new TokenService(Object.assign(new CoreConfig(), { jwtSecret: secret, ...overrides }));
}

const b64url = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function handMade(header: object, payload: object, key = secret): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe('TokenService', () => {
  it('round-trips a minted token', async () => {
    const tokens = service();
    await expect(tokens.verify(await tokens.sign(42))).resolves.toMatchObject({ userId: 42 });
  });

  it('accepts a token built like the legacy login service (HS256, numeric or string id)', async () => {
    await expect(service().verify(handMade({ alg: 'HS256' }, { id: 7, iat: now(), exp: now() + 60 }))).resolves.toMatchObject({ userId: 7 });
    await expect(service().verify(handMade({ alg: 'HS256' }, { id: '8', iat: now(), exp: now() + 60 }))).resolves.toMatchObject({ userId: 8 });
  });

  it('reads a base64 secret as jjwt did when so configured', async () => {
    const raw = Buffer.from('jjwt-style-secret-bytes-0123456');
    const tokens = service({ jwtSecret: raw.toString('base64'), jwtSecretEncoding: 'base64' });
    const input = `${b64url({ alg: 'HS256' })}.${b64url({ id: 3, exp: now() + 60 })}`;
    const token = `${input}.${createHmac('sha256', raw).update(input).digest('base64url')}`;
    await expect(tokens.verify(token)).resolves.toMatchObject({ userId: 3 });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbage', 'not.a.jwt'],
    ['alg none', `${b64url({ alg: 'none' })}.${b64url({ id: 1, exp: now() + 60 })}.`],
    ['wrong secret', handMade({ alg: 'HS256' }, { id: 1, exp: now() + 60 }, 'another-secret-0123456789')],
    ['HS512', '' as string],
    ['expired', handMade({ alg: 'HS256' }, { id: 1, exp: now() - 10 })],
    ['no exp', handMade({ alg: 'HS256' }, { id: 1, iat: now() })],
    ['no id', handMade({ alg: 'HS256' }, { sub: '1', exp: now() + 60 })],
    ['id zero', handMade({ alg: 'HS256' }, { id: 0, exp: now() + 60 })],
    ['id fractional', handMade({ alg: 'HS256' }, { id: 1.5, exp: now() + 60 })],
  ])('refuses a %s token as 用户未登录', async (name, token) => {
    if (name === 'HS512') {
      token = await new SignJWT({ id: 1 }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    }
    const err = await service().verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).message).toBe('用户未登录');
  });

  describe('the issue time', () => {
    const TEN_YEARS = 10 * 365 * 24 * 3600;

    it('refuses a token issued ten years ahead, however long it is valid', async () => {
      const token = handMade({ alg: 'HS256' }, { id: 7, iat: now() + TEN_YEARS, exp: now() + TEN_YEARS + 60 });
      await expect(service().verify(token)).rejects.toThrow('用户未登录');
    });

    it('allows JWT_CLOCK_SKEW_SECONDS (60 by default) of clock difference, and no more', async () => {
      const ahead = (seconds: number) => handMade({ alg: 'HS256' }, { id: 7, iat: now() + seconds, exp: now() + 3600 });
      await expect(service().verify(ahead(30))).resolves.toMatchObject({ userId: 7 });
      await expect(service().verify(ahead(120))).rejects.toThrow('用户未登录');
      await expect(service({ jwtClockSkewSeconds: 0 }).verify(ahead(30))).rejects.toThrow('用户未登录');
      await expect(service({ jwtClockSkewSeconds: 600 }).verify(ahead(120))).resolves.toMatchObject({ userId: 7 });
    });

    it('still takes tokens issued long ago, and tokens without iat', async () => {
      await expect(service().verify(handMade({ alg: 'HS256' }, { id: 7, iat: now() - 6 * 24 * 3600, exp: now() + 60 }))).resolves.toMatchObject({ userId: 7 });
      await expect(service().verify(handMade({ alg: 'HS256' }, { id: 7, exp: now() + 60 }))).resolves.toMatchObject({ userId: 7 });
    });

    it('refuses a non-numeric iat', async () => {
      await expect(service().verify(handMade({ alg: 'HS256' }, { id: 7, iat: 'soon', exp: now() + 60 }))).rejects.toThrow('用户未登录');
    });
  });

  describe('remembering verified tokens', () => {
    afterEach(() => jest.useRealTimers());

    it('still refuses a remembered token once it has expired', async () => {
      jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
      const tokens = service();
      const token = await tokens.sign(42, 60);
      await expect(tokens.verify(token)).resolves.toMatchObject({ userId: 42 });
      jest.setSystemTime(new Date('2026-01-01T00:00:59Z'));
      await expect(tokens.verify(token)).resolves.toMatchObject({ userId: 42 });
      jest.setSystemTime(new Date('2026-01-01T00:01:00Z'));
      await expect(tokens.verify(token)).rejects.toThrow('用户未登录');
      // Gone from memory too: a clock stepping back does not revive it from there.
      jest.setSystemTime(new Date('2026-01-01T00:00:30Z'));
      await expect(tokens.verify(token)).resolves.toMatchObject({ userId: 42 });
    });

    it('never lets a variant of a remembered token through', async () => {
      const tokens = service();
      const token = await tokens.sign(42);
      await tokens.verify(token);
      const [head, , sig] = token.split('.');
      const otherUser = `${head}.${b64url({ id: 1, exp: now() + 60 })}.${sig}`;
      // One signature character changed (away from the last one, whose low bits are padding).
      const at = token.lastIndexOf('.') + 5;
      const flipped = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      expect(flipped).not.toBe(token);
      for (const forged of [otherUser, flipped]) {
        await expect(tokens.verify(forged)).rejects.toThrow('用户未登录');
      }
    });

    it('never remembers a token refused for its issue time', async () => {
      jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
      const tokens = service();
      const iat = Math.floor(Date.parse('2026-01-01T00:10:00Z') / 1000);
      const token = handMade({ alg: 'HS256' }, { id: 7, iat, exp: iat + 3600 });
      await expect(tokens.verify(token)).rejects.toThrow('用户未登录');
      await expect(tokens.verify(token)).rejects.toThrow('用户未登录');
      // Once the clock reaches it (within the skew), it is an ordinary token.
      jest.setSystemTime(new Date('2026-01-01T00:09:30Z'));
      await expect(tokens.verify(token)).resolves.toMatchObject({ userId: 7 });
    });
  });
});
