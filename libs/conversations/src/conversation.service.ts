import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { ChatClock, DomainError, ErrorCode } from '@app/common';
import { ConversationListRow, ConversationRepository } from '@app/database';
import { decodeListCursor, encodeListCursor } from './conversation-cursor';

export interface ReadPosition {
  friendId: number;
  /** The read position after the call: monotonic, a lower seq leaves it where it was. */
  readSeq: number;
  unread: number;
}

export interface ConversationPage {
  list: ConversationListRow[];
  nextCursor: string | null;
  totalUnread: number;
}

/**
 * Conversations as their members see them: read positions, unread counts, the list. One service
 * for every transport: the gateway's `read` frame and the history API's mark_Read.do end here,
 * and the other party's and the reader's own sockets hear of a read through the bus alike.
 */
@Injectable()
export class ConversationService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly clock: ChatClock,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  /**
   * `userId` has read the conversation with `friendId` up to `seq`. Refused for someone who has no
   * conversation with `friendId`, and for a position past the conversation's last one.
   */
  async markRead(userId: number, friendId: number, seq: number, originSocket?: string): Promise<ReadPosition> {
    const outcome = await this.conversations.markRead(userId, friendId, seq);
    if (outcome === 'not-a-member') {
      throw new DomainError(ErrorCode.NotInConversation, `你与用户 ${friendId} 没有会话 (no conversation with user ${friendId})`);
    }
    if (outcome === 'past-the-end') {
      throw new DomainError(ErrorCode.ReadPastEnd, `已读位置超出会话末尾 (seq ${seq} is past the last message of the conversation)`);
    }
    if (outcome.moved) {
      // A lost receipt is superseded by the next read; the list is right from the database anyway.
      await this.bus
        .publish([friendId, userId], { type: 'read', by: userId, friendId, seq: outcome.readSeq, time: this.clock.wallClock(), originSocket })
        .catch(() => undefined);
    }
    return { friendId, readSeq: outcome.readSeq, unread: outcome.unread };
  }

  /** A page of `userId`'s conversations, most recent first, with the total unread. */
  async list(userId: number, limit: number, cursor?: string): Promise<ConversationPage> {
    const before = cursor === undefined ? undefined : decodeListCursor(cursor);
    const { rows, totalUnread } = await this.conversations.listPage(userId, before, limit + 1);
    const list = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeListCursor(list[list.length - 1].lastMessageId) : null;
    return { list, nextCursor, totalUnread };
  }
}
