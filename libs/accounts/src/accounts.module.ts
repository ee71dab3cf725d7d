import { Module } from '@nestjs/common';
import { AccountAdmin } from './account-admin.service';
import { AccountService } from './account.service';
import { AttemptCounter } from './attempt-counter';
import { ChatPolicy } from './chat-policy';
import { FriendService } from './friend.service';
import { PasswordHasher } from './password-hasher';
import { SmsSender } from './sms-sender';
import { UserAccounts } from './user-accounts.service';

/** Needs the (global) config, database, auth and common modules of the app that imports it. */
@Module({
  providers: [UserAccounts, AccountAdmin, AccountService, FriendService, PasswordHasher, AttemptCounter, SmsSender],
  exports: [UserAccounts, AccountAdmin, AccountService, FriendService, PasswordHasher],
})
export class AccountsModule {}

/** Only the chat policy, for the gateway (no password hashing, no counters). */
@Module({ providers: [ChatPolicy], exports: [ChatPolicy] })
export class ChatPolicyModule {}
