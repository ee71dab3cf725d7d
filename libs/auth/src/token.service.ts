import { Injectable } from '@nestjs/common';
import { createSecretKey, KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { CoreConfig } from '@app/config';
import { DomainError } from '@app/common';

export interface TokenClaims {
  userId: number;
  expiresAt: number;
  /** The user's token epoch when it was issued (`ep`; 0 for legacy tokens): a password change makes it stale. */
  epoch: number;
}

// A client sends the same token with every request until it expires. Tokens that verified are
// remembered (the most recently used ones; only tokens signed with our secret get in) and only
// their expiry is checked again: jose costs about 0.2 ms per verification, a map lookup nothing.
const VERIFIED_CACHE_SIZE = 2000;

/**
 * The legacy token: HS256 JWT with `{id, iat, exp}`. The algorithm is pinned (no `none`, no
 * RS/HS confusion), `exp` is required and enforced, and an `iat` further in the future than
 * JWT_CLOCK_SKEW_SECONDS is refused (no honest login service issues tokens ahead of time).
 */
@Injectable()
export class TokenService {
  private readonly key: KeyObject;
  private readonly verified = new LRUCache<string, TokenClaims>({ max: VERIFIED_CACHE_SIZE });

  constructor(private readonly config: CoreConfig) {
    if (!config.jwtSecret) throw new Error('JWT_SECRET is not configured');
    this.key = createSecretKey(
      config.jwtSecretEncoding === 'base64' ? Buffer.from(config.jwtSecret, 'base64') : Buffer.from(config.jwtSecret, 'utf8'),
    );
  }

  /** Verifies a token; any failure (malformed, forged, expired, wrong claims) is `用户未登录`. */
  async verify(token: string | undefined | null): Promise<TokenClaims> {
    if (!token || token.length > 4096) throw DomainError.unauthenticated();
    const known = this.verified.get(token);
    if (known) {
      // The same rule as jose's: expired once `exp` is not after the current second.
      if (known.expiresAt > Math.floor(Date.now() / 1000)) return known;
      this.verified.delete(token);
      throw DomainError.unauthenticated();
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp'] });
      const userId = parseUserId(payload.id);
      if (userId === null) throw DomainError.unauthenticated();
      // jose has checked that `iat`, when present, is a number; legacy tokens may lack it.
      if (payload.iat !== undefined && payload.iat > Math.floor(Date.now() / 1000) + this.config.jwtClockSkewSeconds) {
        throw DomainError.unauthenticated();
      }
      const epoch = typeof payload.ep === 'number' && Number.isSafeInteger(payload.ep) && payload.ep >= 0 ? payload.ep : 0;
      const claims: TokenClaims = { userId, expiresAt: payload.exp as number, epoch };
      this.remember(token, claims);
      return claims;
    } catch (e) {
      if (e instanceof DomainError || e instanceof errors.JOSEError || e instanceof TypeError) {
        throw DomainError.unauthenticated();
      }
      throw e;
    }
  }

  private remember(token: string, claims: TokenClaims): void {
    // A token that verified stays valid until `exp`: its `nbf`, if any, is already past, and its
    // `iat` only gets older. Refused tokens never get in here. Expiry is checked on the claims,
    // to the second as jose does.
    this.verified.set(token, claims);
  }

  /**
   * Mints a token the way the legacy login service did, plus `ep`, the user's token epoch
   * (extension: legacy verifiers ignore it), so that a password change can refuse it.
   */
  async sign(userId: number, ttlSeconds = this.config.jwtTtlSeconds, epoch = 0): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(epoch > 0 ? { id: userId, ep: epoch } : { id: userId })
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
