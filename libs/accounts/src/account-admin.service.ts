import { Injectable } from '@nestjs/common';
import { AccountChanges } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { AccountRepository, UserCard } from '@app/database';
import { FriendService } from './friend.service';
import { PasswordHasher } from './password-hasher';

/** What the admin CLI does to accounts beyond adding them: passwords, blocks, listing. */
@Injectable()
export class AccountAdmin {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly hasher: PasswordHasher,
    private readonly friends: FriendService,
    private readonly changes: AccountChanges,
    private readonly clock: ChatClock,
  ) {}

  /** Sets a password; every token the user holds is refused from now on (see TOKEN_EPOCH_CACHE_MS). */
  async setPassword(userId: number, password: string): Promise<void> {
    PasswordHasher.checkPolicy(password);
    if (!(await this.accounts.credentialsById(userId))) throw new DomainError(ErrorCode.UserNotFound, `${LegacyMessages.userNotFound} (no user with id ${userId})`);
    await this.accounts.changePassword(userId, await this.hasher.hash(password), this.hasher.legacyColumn(password), this.clock.wallClock());
    await this.changes.publish({ kind: 'password', userId });
  }

  block(blocker: number, blocked: number): Promise<void> {
    return this.friends.block(blocker, blocked);
  }

  unblock(blocker: number, blocked: number): Promise<void> {
    return this.friends.unblock(blocker, blocked);
  }

  /** Users whose phone or name contains `q` (all when absent), at most `limit`, by id. */
  list(q: string | undefined, limit: number): Promise<(UserCard & { phone: string | null })[]> {
    return this.accounts.list(q ?? null, limit);
  }
}
