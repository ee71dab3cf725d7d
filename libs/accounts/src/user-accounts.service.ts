import { Injectable } from '@nestjs/common';
import { TokenService } from '@app/auth';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { UserRepository, UserSummary } from '@app/database';

const PHONE = /^\+?\d{5,20}$/;

/**
 * What an operator does with accounts: add a user the way the legacy sign-up did (name
 * `手机用户<phone>` unless given) and mint a token for one. The admin CLI and the development
 * endpoints both go through here, so the rules live in one place.
 */
@Injectable()
export class UserAccounts {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenService,
    private readonly clock: ChatClock,
  ) {}

  async add(phone: string, name?: string): Promise<UserSummary> {
    if (!PHONE.test(phone)) {
      throw new DomainError(ErrorCode.InvalidParameter, `手机号必须是 5 到 20 位数字 (phone must be 5 to 20 digits, got "${phone}")`);
    }
    if (name !== undefined && !name.trim()) throw new DomainError(ErrorCode.InvalidParameter, '名字不能为空 (name must not be blank)');
    if (await this.users.findByPhone(phone)) {
      throw new DomainError(ErrorCode.InvalidParameter, `手机号已注册 (a user with phone ${phone} exists already)`);
    }
    return this.users.create({ phone, name, time: this.clock.wallClock() });
  }

  /** A token for an existing user; `ttlSeconds` defaults to JWT_TTL_SECONDS. */
  async issueToken(userId: number, ttlSeconds?: number): Promise<string> {
    if (!(await this.users.findById(userId))) {
      throw new DomainError(ErrorCode.UserNotFound, `${LegacyMessages.userNotFound} (no user with id ${userId})`);
    }
    return this.tokens.sign(userId, ttlSeconds);
  }
}
