import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { HistoryRepository, HistoryRow } from '@app/database';
import { PageInfo, pageWindow, toPageInfo } from '@app/pagination';

export interface CursorSlice {
  total: number;
  list: HistoryRow[];
  limit: number;
  order: 'newest-first' | 'oldest-first';
  hasMore: boolean;
  nextBeforeId?: number;
  nextAfterId?: number;
}

const noRecords = () => new DomainError(ErrorCode.NoRecords, LegacyMessages.noRecords);

/**
 * The conversation between the caller and a friend, paged two ways. Both read the total from
 * conversation.message_count and the rows by a seek on (conversation_id, seq), so the cost of a
 * page does not grow with the conversation or with the depth of the page.
 */
@Injectable()
export class HistoryService {
  constructor(private readonly history: HistoryRepository) {}

  /** The legacy page form: PageInfo of page `pageNum`, or 不存在记录 when that page is empty. */
  async page(userId: number, friendId: number | undefined, pageNum: number, pageSize: number): Promise<PageInfo<HistoryRow>> {
    if (friendId === undefined) throw noRecords();
    const conversation = await this.history.findConversation(userId, friendId);
    if (!conversation || conversation.messageCount === 0) throw noRecords();
    const total = conversation.messageCount;
    const { startRow } = pageWindow(pageNum, pageSize);
    if (startRow >= total) throw noRecords();
    // Positions are 1-based and dense; capping at the total read above keeps the page and the
    // total consistent when a message arrives between the two reads.
    const rows = await this.history.findBySeqRange(conversation.id, startRow + 1, Math.min(startRow + pageSize, total));
    if (rows.length === 0) throw noRecords();
    return toPageInfo(rows, { pageNum, pageSize, total });
  }

  /**
   * The cursor form: up to `limit` messages before `beforeId` (newest first), after `afterId`
   * (oldest first; 0 means from the start), or the newest ones when neither is given.
   */
  async slice(
    userId: number,
    friendId: number | undefined,
    cursor: { beforeId?: number; afterId?: number; limit: number },
  ): Promise<CursorSlice> {
    if (friendId === undefined) throw noRecords();
    const { beforeId, afterId, limit } = cursor;
    const conversation = await this.history.findConversation(userId, friendId);
    const total = conversation?.messageCount ?? 0;

    if (afterId !== undefined) {
      const seq = afterId === 0 ? 0 : await this.anchorSeq(conversation?.id, afterId, 'afterId');
      const rows = conversation ? await this.history.findAfterSeq(conversation.id, seq, limit + 1) : [];
      const list = rows.slice(0, limit);
      return {
        total,
        list,
        limit,
        order: 'oldest-first',
        hasMore: rows.length > limit,
        nextAfterId: list.length ? list[list.length - 1].id : afterId,
      };
    }

    const seq = beforeId !== undefined ? await this.anchorSeq(conversation?.id, beforeId, 'beforeId') : total + 1;
    const rows = conversation ? await this.history.findBeforeSeq(conversation.id, seq, limit + 1) : [];
    const list = rows.slice(0, limit);
    const hasMore = rows.length > limit;
    return {
      total,
      list,
      limit,
      order: 'newest-first',
      hasMore,
      ...(hasMore ? { nextBeforeId: list[list.length - 1].id } : {}),
    };
  }

  /** The position of a cursor message, which must belong to this conversation. */
  private async anchorSeq(conversationId: number | undefined, messageId: number, name: string): Promise<number> {
    const at = conversationId === undefined ? null : await this.history.findPosition(messageId);
    // One answer for "no such message" and "someone else's message": ids of other
    // conversations are not confirmed to exist.
    if (!at || at.conversationId !== conversationId || at.seq === null) {
      throw new DomainError(
        ErrorCode.InvalidParameter,
        `${name} 不是你与该好友之间的消息 (${name} must be the id of a message between you and friendId)`,
      );
    }
    return at.seq;
  }
}
