import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AccountsConfig } from '@app/config';
import { DomainError, ErrorCode } from '@app/common';

/** What is stored for a user: the argon2id string and the legacy MD5 column. */
export interface StoredPassword {
  passwordHash: string | null;
  legacyHash: string | null;
}

export type PasswordCheck = { ok: false } | { ok: true; rehash: boolean };

/** Longest password hashed at all; a longer one is wrong without being read (it could only be a DoS). */
export const MAX_PASSWORD_INPUT = 1024;
/** What registration and a reset accept, in characters (code points). */
export const PASSWORD_MIN = 6;
export const PASSWORD_MAX = 128;

/**
 * Passwords (CONTRACT section 6): argon2id with the parameters and a per-user salt inside the
 * stored string, verified by the library in constant time. A legacy row holds MD5(password +
 * salt) as upper-case hex; it verifies once (compared in constant time) and is re-hashed. Every
 * refusal costs one argon2 verification, also for an unknown user or a legacy row, so the answer
 * time does not tell which case it was.
 */
@Injectable()
export class PasswordHasher {
  private readonly options;
  private readonly dummy: Promise<string>;

  constructor(private readonly config: AccountsConfig) {
    this.options = { algorithm: Algorithm.Argon2id, memoryCost: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: 1 };
    this.dummy = hash(randomBytes(18).toString('base64'), this.options);
  }

  /** The parameters in PHC form, for logs and the bench. */
  describe(): string {
    return `argon2id m=${this.options.memoryCost} KiB, t=${this.options.timeCost}, p=${this.options.parallelism}`;
  }

  /** Refuses a password a user may not choose (length in characters, counted as code points). */
  static checkPolicy(password: string): void {
    const length = [...password].length;
    if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
      throw new DomainError(
        ErrorCode.PasswordPolicy,
        `密码长度必须为 ${PASSWORD_MIN} 到 ${PASSWORD_MAX} 个字符 (a password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters)`,
      );
    }
  }

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  /** The legacy column's value: MD5 of the UTF-8 bytes of password + salt, upper-case hex. */
  legacyMd5(password: string): string {
    return createHash('md5').update(password + this.config.legacySalt, 'utf8').digest('hex').toUpperCase();
  }

  /** What the legacy column holds after a password is set: the MD5 while the old server runs beside, else ''. */
  legacyColumn(password: string): string {
    return this.config.keepLegacyMd5 ? this.legacyMd5(password) : '';
  }

  async check(stored: StoredPassword | null, password: string): Promise<PasswordCheck> {
    if (stored && password.length <= MAX_PASSWORD_INPUT) {
      if (stored.passwordHash) {
        const ok = await verify(stored.passwordHash, password).catch(() => false);
        return ok ? { ok: true, rehash: this.outdated(stored.passwordHash) } : { ok: false };
      }
      if (stored.legacyHash && this.legacyMatches(stored.legacyHash, password)) return { ok: true, rehash: true };
    }
    await verify(await this.dummy, password.slice(0, MAX_PASSWORD_INPUT)).catch(() => false);
    return { ok: false };
  }

  private legacyMatches(stored: string, password: string): boolean {
    const expected = Buffer.from(stored.trim().toUpperCase(), 'utf8');
    const actual = Buffer.from(this.legacyMd5(password), 'utf8');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** A hash made with weaker parameters than the configured ones is re-made at login. */
  private outdated(stored: string): boolean {
    const m = /\$m=(\d+),t=(\d+)/.exec(stored);
    return !stored.startsWith('$argon2id$') || !m || Number(m[1]) < this.options.memoryCost || Number(m[2]) < this.options.timeCost;
  }
}
