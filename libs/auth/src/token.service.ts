import { Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT } from 'jose';
import { CoreConfig } from '@app/config';
import { DomainError } from '@app/common';

export interface TokenClaims {
  userId: number;
  expiresAt: number;
}

/**
 * The legacy token: HS256 JWT with `{id, iat, exp}`. The algorithm is pinned (no `none`, no
 * RS/HS confusion) and `exp` is required and enforced.
 */
@Injectable()
export class TokenService {
  private readonly key: Uint8Array;

  constructor(private readonly config: CoreConfig) {
    if (!config.jwtSecret) throw new Error('JWT_SECRET is not configured');
    this.key =
      config.jwtSecretEncoding === 'base64'
        ? new Uint8Array(Buffer.from(config.jwtSecret, 'base64'))
        : new TextEncoder().encode(config.jwtSecret);
  }

  /** Verifies a token; any failure (malformed, forged, expired, wrong claims) is `用户未登录`. */
  async verify(token: string | undefined | null): Promise<TokenClaims> {
    if (!token || token.length > 4096) throw DomainError.unauthenticated();
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp'] });
      const userId = parseUserId(payload.id);
      if (userId === null) throw DomainError.unauthenticated();
      return { userId, expiresAt: payload.exp as number };
    } catch (e) {
      if (e instanceof DomainError || e instanceof errors.JOSEError || e instanceof TypeError) {
        throw DomainError.unauthenticated();
      }
      throw e;
    }
  }

  /** Mints a token the way the legacy login service did (for the admin CLI and tests). */
  async sign(userId: number, ttlSeconds = this.config.jwtTtlSeconds): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ id: userId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key);
  }
}

/** Legacy tokens may carry the id as a number or a numeric string. */
export function parseUserId(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
