import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { Env, ToBool, ToInt } from './env-decorators';
import { ConfigCheck } from './load-config';

/** Accounts, sign-in, registration codes, friends and the chat policy (CONTRACT section 6). */
export class AccountsConfig implements ConfigCheck {
  /** open: anyone registers with a phone and password; code: with a code sent by SMS; closed: no registration. */
  @Env('ACCOUNTS_REGISTRATION')
  @IsIn(['open', 'code', 'closed'], { message: 'ACCOUNTS_REGISTRATION must be open, code or closed' })
  registration: 'open' | 'code' | 'closed' = 'code';

  /** The old server's global salt: its `user.password` is MD5(password + salt), upper-case hex. */
  @Env('ACCOUNTS_LEGACY_SALT') @IsString()
  legacySalt: string = '';

  /** Keep writing the MD5 column (the old server still runs beside the suite); off: it is cleared at the upgrade. */
  @Env('ACCOUNTS_KEEP_LEGACY_MD5') @ToBool()
  @IsBoolean({ message: 'ACCOUNTS_KEEP_LEGACY_MD5 must be true or false' })
  keepLegacyMd5: boolean = false;

  /** login_reset_password.do asks for `oldPassword` too. */
  @Env('ACCOUNTS_RESET_REQUIRES_OLD_PASSWORD') @ToBool()
  @IsBoolean({ message: 'ACCOUNTS_RESET_REQUIRES_OLD_PASSWORD must be true or false' })
  resetRequiresOldPassword: boolean = false;

  /** argon2id memory in KiB (OWASP minimum 19456 = 19 MiB with t=2). */
  @Env('ACCOUNTS_ARGON2_MEMORY_KIB') @ToInt()
  @IsInt({ message: 'ACCOUNTS_ARGON2_MEMORY_KIB must be a whole number of KiB, e.g. 19456' })
  @Min(19456, { message: 'ACCOUNTS_ARGON2_MEMORY_KIB must be at least 19456 (OWASP minimum for argon2id)' })
  argon2MemoryKib: number = 19456;

  @Env('ACCOUNTS_ARGON2_TIME_COST') @ToInt()
  @IsInt({ message: 'ACCOUNTS_ARGON2_TIME_COST must be a whole number, e.g. 2' })
  @Min(2, { message: 'ACCOUNTS_ARGON2_TIME_COST must be at least 2' })
  @Max(20, { message: 'ACCOUNTS_ARGON2_TIME_COST must be at most 20' })
  argon2TimeCost: number = 2;

  /** Sign-in attempts per phone in a window (successful ones are not counted). */
  @Env('ACCOUNTS_LOGIN_MAX_PER_PHONE') @ToInt()
  @IsInt({ message: 'ACCOUNTS_LOGIN_MAX_PER_PHONE must be a whole number, e.g. 10' })
  @Min(1, { message: 'ACCOUNTS_LOGIN_MAX_PER_PHONE must be at least 1' })
  loginMaxPerPhone: number = 10;

  /** Failed sign-in attempts per client address in a window. */
  @Env('ACCOUNTS_LOGIN_MAX_PER_ADDRESS') @ToInt()
  @IsInt({ message: 'ACCOUNTS_LOGIN_MAX_PER_ADDRESS must be a whole number, e.g. 50' })
  @Min(1, { message: 'ACCOUNTS_LOGIN_MAX_PER_ADDRESS must be at least 1' })
  loginMaxPerAddress: number = 50;

  @Env('ACCOUNTS_LOGIN_WINDOW_SEC') @ToInt()
  @IsInt({ message: 'ACCOUNTS_LOGIN_WINDOW_SEC must be a whole number of seconds, e.g. 900' })
  @Min(1, { message: 'ACCOUNTS_LOGIN_WINDOW_SEC must be at least 1' })
  loginWindowSec: number = 900;

  /** The operator's SMS gateway: one signed POST per code (see docs/accounts.md). */
  @Env('ACCOUNTS_SMS_WEBHOOK_URL') @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'ACCOUNTS_SMS_WEBHOOK_URL must be an http(s) URL' })
  smsWebhookUrl?: string;

  @Env('ACCOUNTS_SMS_WEBHOOK_SECRET') @IsOptional() @IsString()
  @MinLength(16, { message: 'ACCOUNTS_SMS_WEBHOOK_SECRET must be at least 16 characters' })
  smsWebhookSecret?: string;

  @Env('ACCOUNTS_SMS_CODE_TTL_SEC') @ToInt()
  @IsInt({ message: 'ACCOUNTS_SMS_CODE_TTL_SEC must be a whole number of seconds, e.g. 300' })
  @Min(30, { message: 'ACCOUNTS_SMS_CODE_TTL_SEC must be at least 30' })
  smsCodeTtlSec: number = 300;

  /** Wrong codes before a code is void. */
  @Env('ACCOUNTS_SMS_MAX_TRIES') @ToInt()
  @IsInt({ message: 'ACCOUNTS_SMS_MAX_TRIES must be a whole number, e.g. 5' })
  @Min(1, { message: 'ACCOUNTS_SMS_MAX_TRIES must be at least 1' })
  smsMaxTries: number = 5;

  /** Codes per phone per hour, and per client address per hour. */
  @Env('ACCOUNTS_SMS_PER_PHONE_HOURLY') @ToInt()
  @IsInt({ message: 'ACCOUNTS_SMS_PER_PHONE_HOURLY must be a whole number, e.g. 5' })
  @Min(1, { message: 'ACCOUNTS_SMS_PER_PHONE_HOURLY must be at least 1' })
  smsPerPhoneHourly: number = 5;

  @Env('ACCOUNTS_SMS_PER_ADDRESS_HOURLY') @ToInt()
  @IsInt({ message: 'ACCOUNTS_SMS_PER_ADDRESS_HOURLY must be a whole number, e.g. 20' })
  @Min(1, { message: 'ACCOUNTS_SMS_PER_ADDRESS_HOURLY must be at least 1' })
  smsPerAddressHourly: number = 20;

  /** Who may start a chat: anyone (the old behaviour) or friends (both follow each other). */
  @Env('CHAT_POLICY')
  @IsIn(['anyone', 'friends'], { message: 'CHAT_POLICY must be anyone or friends' })
  chatPolicy: 'anyone' | 'friends' = 'anyone';

  /**
   * Proxies in front of the apps whose X-Forwarded-For is believed: 0 (default) uses the TCP
   * peer's address; N takes the address N entries from the right of X-Forwarded-For.
   */
  @Env('TRUST_PROXY_HOPS') @ToInt()
  @IsInt({ message: 'TRUST_PROXY_HOPS must be a whole number of proxies, e.g. 0 or 1' })
  @Min(0, { message: 'TRUST_PROXY_HOPS must be 0 or more' })
  @Max(10, { message: 'TRUST_PROXY_HOPS must be at most 10' })
  trustProxyHops: number = 0;

  checkConfig(): string[] {
    return this.smsWebhookUrl && !this.smsWebhookSecret
      ? ['ACCOUNTS_SMS_WEBHOOK_URL is set without ACCOUNTS_SMS_WEBHOOK_SECRET: set a secret of 16+ characters to sign the requests']
      : [];
  }
}
