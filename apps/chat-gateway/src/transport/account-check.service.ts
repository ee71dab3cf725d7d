import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LogThrottle, withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { UserRepository } from '@app/database';
import { DeliveryService } from '../delivery/delivery.service';
import { UserDirectory } from '../shared/user-directory.service';

/** The close code for a socket whose user was deleted (the app's own range: 4000-4999). */
export const USER_GONE_CLOSE = 4404;

/**
 * A user is checked at the upgrade only; one deleted afterwards (by an operator, or the old
 * server on a shared database) would keep chatting on the sockets already open. So every
 * CHAT_ACCOUNT_CHECK_MS the users of this replica's sockets are looked up, a batch of ids per
 * statement, and the sockets of those that no longer exist are closed with 4404.
 */
@Injectable()
export class AccountCheck implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountCheck.name);
  private readonly throttled = new LogThrottle(this.logger);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly delivery: DeliveryService,
    private readonly users: UserRepository,
    private readonly directory: UserDirectory,
    private readonly config: ChatConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.accountCheckMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One round; a database that does not answer in time skips it. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const sockets = this.delivery.allSockets();
      const ids = [...new Set(sockets.map((s) => s.userId))];
      if (!ids.length) return;
      const existing = await withTimeout(this.users.existing(ids), this.config.readTimeoutMs, 'account check');
      for (const socket of sockets) {
        if (existing.has(socket.userId)) continue;
        this.directory.forget(socket.userId);
        this.logger.warn(`closing a socket of user ${socket.userId}: the user no longer exists`);
        socket.close(USER_GONE_CLOSE, 'user no longer exists');
      }
    } catch (e) {
      this.throttled.warn('check', `checking the users of open sockets failed: ${String(e)}`);
    } finally {
      this.running = false;
    }
  }
}
