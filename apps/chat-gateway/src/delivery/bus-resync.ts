import { Injectable, Logger } from '@nestjs/common';
import { LogThrottle, withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { ConversationRepository, MemberPosition } from '@app/database';
import { ConversationFlow } from './conversation-flow';
import { SocketRegistry } from './socket-registry';
import { SocketSession } from './socket-session';

/** A failed re-read after a bus outage is tried again this often, this many times (2 minutes). */
const RESYNC_RETRY_MS = 2000;
const RESYNC_ATTEMPTS = 60;

/**
 * After a bus outage (or a socket that missed events while attaching), every conversation whose
 * last position a socket has not had is read from the database: the database is the truth.
 */
@Injectable()
export class BusResync {
  private readonly logger = new Logger(BusResync.name);
  private readonly throttled = new LogThrottle(this.logger);

  constructor(
    private readonly registry: SocketRegistry,
    private readonly conversations: ConversationRepository,
    private readonly flow: ConversationFlow,
    private readonly config: ChatConfig,
  ) {}

  /** A re-read that fails (the database is away too) is tried again, for a while. */
  async untilDone(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.all();
      } catch (e) {
        if (attempt >= RESYNC_ATTEMPTS || !this.flow.isDelivering) {
          this.logger.error(`re-reading after a bus outage failed ${attempt} times, giving up: ${String(e)}`);
          return;
        }
        this.throttled.warn('resync', `re-reading after a bus outage failed, again in ${RESYNC_RETRY_MS} ms: ${String(e)}`);
        await new Promise((r) => setTimeout(r, RESYNC_RETRY_MS));
      }
    }
  }

  private async all(): Promise<void> {
    for (const userId of this.registry.users()) {
      const sessions = [...this.registry.sessionsOf(userId)];
      const live = sessions.filter((s) => {
        if (s.phase === 'attaching') s.resyncOnceLive();
        return s.phase === 'live';
      });
      if (!live.length) continue;
      const positions = await withTimeout(this.conversations.positions(userId), this.config.readTimeoutMs, 'conversation positions');
      for (const s of live) await this.session(s, positions);
    }
  }

  /** Reads every conversation whose last position the socket has not had. */
  async session(session: SocketSession, known?: MemberPosition[]): Promise<void> {
    const positions = known ?? (await withTimeout(this.conversations.positions(session.userId), this.config.readTimeoutMs, 'conversation positions'));
    for (const p of positions) {
      if (session.phase !== 'live') return;
      if (p.lastSeq >= session.nextOf(p.friendId)) this.flow.apply(session, p.friendId, session.order(p.friendId).catchUp(p.lastSeq));
    }
  }
}
