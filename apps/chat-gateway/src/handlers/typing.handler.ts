import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ChatPolicy } from '@app/accounts';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { refusalFrame } from '../protocol/refusal-frames';
import { UserDirectory } from '../shared/user-directory.service';
import { FrameContext } from './frame-context';

/** At most one typing notice per user and friend is forwarded in this time (CONTRACT section 4). */
export const TYPING_EVERY_MS = 1000;

/**
 * `{"type":"typing","friendId":F}`: forwarded to F's v2 sockets, never stored, at most once a
 * second per user and friend on this replica (a client sends one per keystroke burst; the
 * receiving client lets it expire after 5 s).
 */
@Injectable()
export class TypingHandler {
  private readonly last = new LRUCache<string, number>({ max: 100_000, ttl: TYPING_EVERY_MS });

  constructor(
    private readonly directory: UserDirectory,
    private readonly policy: ChatPolicy,
    private readonly clock: ChatClock,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  async handle(ctx: FrameContext, friendId: number): Promise<void> {
    const userId = ctx.socket.userId;
    const key = `${userId}:${friendId}`;
    if (this.last.has(key)) return;
    try {
      if (friendId === userId) throw new DomainError(ErrorCode.RecipientIsSender, '不能对自己输入 (typing to oneself)');
      if (!(await this.directory.find(friendId))) throw new DomainError(ErrorCode.UserNotFound, LegacyMessages.userNotFound);
      await this.policy.check(userId, friendId);
    } catch (e) {
      ctx.reply(refusalFrame(e, this.clock.wallClock(), friendId));
      return;
    }
    this.last.set(key, Date.now());
    await this.bus.publish([friendId], { type: 'typing', by: userId, friendId }).catch(() => undefined);
  }
}
