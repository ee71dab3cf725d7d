import { Injectable } from '@nestjs/common';
import { KnownUsers, TokenClaims } from '@app/auth';
import { withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import type { UserSummary } from '@app/database';

/**
 * Users as the gateway asks for them: every frame needs its recipient checked and its sender's
 * name. Served from the suite's one user cache (KnownUsers); every look-up that reaches the
 * database is bounded by CHAT_READ_TIMEOUT_MS.
 */
@Injectable()
export class UserDirectory {
  constructor(
    private readonly users: KnownUsers,
    private readonly config: ChatConfig,
  ) {}

  find(id: number): Promise<UserSummary | null> {
    return withTimeout(this.users.find(id), this.config.readTimeoutMs, 'user look-up');
  }

  /** The token is of the user's current epoch (not issued before a password change); bounded like find. */
  accepts(claims: TokenClaims): Promise<boolean> {
    return withTimeout(this.users.accepts(claims), this.config.readTimeoutMs, 'token epoch look-up');
  }

  /** The user is gone: the next look-up asks the database. */
  forget(id: number): void {
    this.users.forget(id);
  }

  /** The sender's display name for frames (the legacy `sender` field): the one place it is looked up. */
  async nameOf(id: number): Promise<string> {
    return (await this.find(id))?.name ?? '';
  }
}
