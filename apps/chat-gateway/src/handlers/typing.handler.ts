import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ChatPolicy } from '@app/accounts';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { ConversationRepository } from '@app/database';
import { refusalFrame } from '../protocol/refusal-frames';
import { FrameContext } from './frame-context';

/** At most one typing notice per user and friend is forwarded in this time (CONTRACT section 4). */
export const TYPING_EVERY_MS = 1000;
/** How long a pair known to have talked is not looked up again. */
const TALKED_TTL_MS = 10 * 60_000;

/**
 * `{"type":"typing","friendId":F}`: forwarded to F's v2 sockets, never stored, at most once a
 * second per user and friend on this replica (a client sends one per keystroke burst; the
 * receiving client lets it expire after 5 s). Only to someone the user has exchanged messages
 * with: typing to a stranger or to an id nobody has is dropped without a word, the same way for
 * both, so typing cannot tell which ids exist.
 */
@Injectable()
export class TypingHandler {
  private readonly last = new LRUCache<string, number>({ max: 100_000, ttl: TYPING_EVERY_MS });
  private readonly talked = new LRUCache<string, true>({ max: 100_000, ttl: TALKED_TTL_MS });

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly policy: ChatPolicy,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  async handle(ctx: FrameContext, friendId: number, clientMsgId?: string): Promise<void> {
    const userId = ctx.socket.userId;
    const key = `${userId}:${friendId}`;
    if (this.last.has(key)) return;
    if (friendId === userId) {
      ctx.reply(refusalFrame(new DomainError(ErrorCode.RecipientIsSender, '不能对自己输入 (typing to oneself)'), this.clock.wallClock(), friendId, clientMsgId));
      return;
    }
    this.last.set(key, Date.now());
    if (!(await this.haveTalked(userId, friendId))) return;
    // Blocking and the chat policy, as for a message (the two have talked: no id is revealed).
    try {
      await this.policy.check(userId, friendId);
    } catch (e) {
      ctx.reply(refusalFrame(e, this.clock.wallClock(), friendId, clientMsgId));
      return;
    }
    await this.bus.publish([friendId], { type: 'typing', by: userId, friendId }).catch(() => undefined);
  }

  /** A database that does not answer in time drops the notice (it expires anyway). */
  private async haveTalked(userId: number, friendId: number): Promise<boolean> {
    const key = userId < friendId ? `${userId}:${friendId}` : `${friendId}:${userId}`;
    if (this.talked.has(key)) return true;
    const yes = await withTimeout(this.conversations.haveTalked(userId, friendId), this.config.readTimeoutMs, 'conversation lookup').catch(() => false);
    if (yes) this.talked.set(key, true);
    return yes;
  }
}
