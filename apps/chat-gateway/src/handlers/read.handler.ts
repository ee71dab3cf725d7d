import { Injectable } from '@nestjs/common';
import { ChatPolicy } from '@app/accounts';
import { ChatClock } from '@app/common';
import { ConversationService } from '@app/conversations';
import { refusalFrame } from '../protocol/refusal-frames';
import { FrameContext } from './frame-context';

/**
 * `{"type":"read","friendId":F,"seq":N}`: the user has read the conversation with F up to N. The
 * friend's v2 sockets get the read receipt and the user's other v2 sockets the cleared badge,
 * through the bus (ConversationService). Nothing answers a read that moved the position; a refused
 * one gets an error frame.
 */
@Injectable()
export class ReadHandler {
  constructor(
    private readonly conversations: ConversationService,
    private readonly policy: ChatPolicy,
    private readonly clock: ChatClock,
  ) {}

  async handle(ctx: FrameContext, friendId: number, seq: number, clientMsgId?: string): Promise<void> {
    try {
      // A receipt from someone the friend blocked (or not a friend under CHAT_POLICY=friends) is refused.
      await this.policy.check(ctx.socket.userId, friendId);
      await this.conversations.markRead(ctx.socket.userId, friendId, seq, ctx.socket.id);
    } catch (e) {
      ctx.reply(refusalFrame(e, this.clock.wallClock(), friendId, clientMsgId));
    }
  }
}
