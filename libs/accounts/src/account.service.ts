import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { TokenService } from '@app/auth';
import { AccountChanges } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { AccountsConfig } from '@app/config';
import { AccountRepository, DuplicatePhoneError, Profile, ProfileChange, SmsCodeRepository, UploadOwnerRepository } from '@app/database';
import { AttemptCounter } from './attempt-counter';
import { PasswordHasher } from './password-hasher';
import { SmsSender } from './sms-sender';

/** The phones the legacy apps register: digits, optionally a leading +. */
export const PHONE_PATTERN = /^\+?\d{5,20}$/;

export interface SignedIn {
  user: Profile;
  token: string;
}

/** Longest values of the profile fields (the old server's columns: name 50, msg 200). */
export const PROFILE_LIMITS = { name: 50, msg: 200, stage: 50 } as const;

const loginFailed = () => new DomainError(ErrorCode.LoginFailed, LegacyMessages.loginFailed);
const tooMany = () => new DomainError(ErrorCode.TooManyAttempts, LegacyMessages.tooManyAttempts);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Sign-in, registration, codes, the password and the profile (CONTRACT section 6). Knows nothing
 * of HTTP: the client's address comes in as a string.
 */
@Injectable()
export class AccountService {
  private readonly logger = new Logger(AccountService.name);

  constructor(
    private readonly accounts: AccountRepository,
    private readonly codes: SmsCodeRepository,
    private readonly uploads: UploadOwnerRepository,
    private readonly hasher: PasswordHasher,
    private readonly attempts: AttemptCounter,
    private readonly sms: SmsSender,
    private readonly tokens: TokenService,
    private readonly changes: AccountChanges,
    private readonly clock: ChatClock,
    private readonly config: AccountsConfig,
  ) {}

  /**
   * `账号或密码错误` for an unknown phone and a wrong password alike, after the same work (one
   * argon2 verification). Attempts are counted per phone and per address before the password is
   * looked at; a successful one is given back.
   */
  async login(phone: string, password: string, address: string): Promise<SignedIn> {
    const window = this.config.loginWindowSec;
    const byPhone = `login:phone:${phone.slice(0, 40)}`;
    const byAddress = `login:addr:${address}`;
    const [nPhone, nAddress] = await Promise.all([this.attempts.count(byPhone, window), this.attempts.count(byAddress, window)]);
    if (nPhone > this.config.loginMaxPerPhone || nAddress > this.config.loginMaxPerAddress) throw tooMany();
    const stored = PHONE_PATTERN.test(phone) ? await this.accounts.credentialsByPhone(phone) : null;
    const check = await this.hasher.check(stored, password);
    if (!stored || !check.ok) throw loginFailed();
    await Promise.all([this.attempts.refund(byPhone, window), this.attempts.refund(byAddress, window)]);
    if (check.rehash) {
      await this.accounts.upgradeHash(stored.id, await this.hasher.hash(password), this.hasher.legacyColumn(password), this.clock.wallClock());
    }
    return this.signedIn(stored.id, stored.tokenEpoch);
  }

  async register(phone: string, password: string, msgCode: string | undefined, address: string): Promise<SignedIn> {
    if (this.config.registration === 'closed') {
      throw new DomainError(ErrorCode.RegistrationClosed, '本服务器不开放注册 (registration is closed on this server)');
    }
    if (!phone || !password || (this.config.registration === 'code' && !msgCode)) {
      throw new DomainError(ErrorCode.Incomplete, LegacyMessages.incomplete);
    }
    if (!PHONE_PATTERN.test(phone)) throw new DomainError(ErrorCode.InvalidParameter, '手机号码格式不正确 (the phone must be 5 to 20 digits)');
    PasswordHasher.checkPolicy(password);
    if (this.config.registration === 'code') await this.useCode(phone, msgCode!, address);
    const passwordHash = await this.hasher.hash(password);
    try {
      const id = await this.accounts.register(phone, passwordHash, this.hasher.legacyColumn(password), this.clock.wallClock());
      return await this.signedIn(id, 0);
    } catch (e) {
      if (e instanceof DuplicatePhoneError) throw new DomainError(ErrorCode.PhoneTaken, LegacyMessages.phoneTaken);
      throw e;
    }
  }

  /** A six-digit code for registration, sent through the SMS webhook; false when it could not be sent. */
  async sendCode(phone: string, address: string): Promise<boolean> {
    if (!PHONE_PATTERN.test(phone)) return false;
    if (!this.sms.configured) {
      this.logger.warn('get_msgcode.do: no SMS gateway configured (ACCOUNTS_SMS_WEBHOOK_URL)');
      return false;
    }
    const [nPhone, nAddress] = await Promise.all([
      this.attempts.count(`sms:phone:${phone}`, 3600),
      this.attempts.count(`sms:addr:${address}`, 3600),
    ]);
    if (nPhone > this.config.smsPerPhoneHourly || nAddress > this.config.smsPerAddressHourly) throw tooMany();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = Date.now() + this.config.smsCodeTtlSec * 1000;
    await this.codes.put(phone, sha256(`${phone}:${code}`), expiresAt);
    return this.sms.send(phone, code, expiresAt);
  }

  private async useCode(phone: string, code: string, address: string): Promise<void> {
    // Guessing codes for many phones from one address is limited like sign-in.
    if ((await this.attempts.count(`code:addr:${address}`, this.config.loginWindowSec)) > this.config.loginMaxPerAddress) throw tooMany();
    const wrong = () => new DomainError(ErrorCode.WrongCode, LegacyMessages.wrongCode);
    const stored = await this.codes.find(phone);
    if (!stored || stored.expiresAt < Date.now() || stored.tries >= this.config.smsMaxTries) throw wrong();
    const given = Buffer.from(sha256(`${phone}:${code.trim()}`));
    if (given.length !== stored.codeHash.length || !timingSafeEqual(given, Buffer.from(stored.codeHash))) {
      await this.codes.countTry(phone, this.config.smsMaxTries);
      throw wrong();
    }
    if (!(await this.codes.take(phone, stored.codeHash))) throw wrong();
  }

  /**
   * A new password: every token issued before is refused from now on, on every replica (they
   * hear of it through AccountChanges; at most TOKEN_EPOCH_CACHE_MS otherwise). Answers the
   * caller a fresh token.
   */
  async resetPassword(userId: number, password: string, oldPassword: string | undefined): Promise<string> {
    if (!password) throw new DomainError(ErrorCode.Incomplete, LegacyMessages.incomplete);
    PasswordHasher.checkPolicy(password);
    const stored = await this.accounts.credentialsById(userId);
    if (!stored) throw DomainError.unauthenticated();
    if (this.config.resetRequiresOldPassword) {
      if (!oldPassword) throw new DomainError(ErrorCode.Incomplete, LegacyMessages.incomplete);
      if (!(await this.hasher.check(stored, oldPassword)).ok) throw new DomainError(ErrorCode.LoginFailed, '原密码错误 (the old password is wrong)');
    }
    const epoch = await this.accounts.changePassword(userId, await this.hasher.hash(password), this.hasher.legacyColumn(password), this.clock.wallClock());
    await this.changes.publish({ kind: 'password', userId });
    return this.tokens.sign(userId, undefined, epoch);
  }

  async profile(userId: number): Promise<Profile> {
    const profile = await this.accounts.profile(userId);
    if (!profile) throw new DomainError(ErrorCode.UserNotFound, LegacyMessages.userNotFound);
    return profile;
  }

  /** Each field optional; `img` must be a file this user uploaded. Lengths as the old columns allow. */
  async updateProfile(userId: number, change: ProfileChange): Promise<Profile> {
    for (const field of ['name', 'msg', 'stage'] as const) {
      const value = change[field];
      if (value === undefined) continue;
      if ([...value].length > PROFILE_LIMITS[field]) {
        throw new DomainError(ErrorCode.InvalidParameter, `${field} 最多 ${PROFILE_LIMITS[field]} 个字符 (${field} must have at most ${PROFILE_LIMITS[field]} characters)`);
      }
      if (field === 'name' && !value.trim()) throw new DomainError(ErrorCode.InvalidParameter, '名字不能为空 (name must not be blank)');
    }
    if (change.img !== undefined && (await this.uploads.ownerOf(change.img)) !== userId) {
      throw new DomainError(ErrorCode.Forbidden, '头像必须是自己上传的图片 (img must be the uri of an image you uploaded)');
    }
    await this.accounts.updateProfile(userId, change, this.clock.wallClock());
    return this.profile(userId);
  }

  private async signedIn(id: number, epoch: number): Promise<SignedIn> {
    const user = await this.profile(id);
    return { user, token: await this.tokens.sign(id, undefined, epoch) };
  }
}
