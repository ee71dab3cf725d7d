import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { displayName } from './user.repository';

export interface ConversationTotal {
  id: number;
  /** conversation.message_count: the total, read in O(1) and moved in each insert's transaction. */
  messageCount: number;
}

export interface HistoryRow {
  id: number;
  seq: number;
  senderId: number;
  /** user.name of the sender, or the legacy default `手机用户<phone>`; null if the user is gone. */
  senderName: string | null;
  text: string | null;
  /** create_time exactly as stored: the wall-clock string the writer put there. */
  time: string | null;
}

export interface MessagePosition {
  conversationId: number | null;
  seq: number | null;
}

type RawRow = {
  id: number | string;
  seq: number | string;
  sender: number | string;
  text: string | null;
  create_time: string | null;
  sender_name: string | null;
  sender_phone: string | null;
};

const SELECT_ROWS =
  'SELECT m.id, m.seq, m.sender, m.text, m.create_time, u.name AS sender_name, u.phone AS sender_phone ' +
  'FROM `message` m LEFT JOIN `user` u ON u.id = m.sender';

/**
 * The history API's queries. Every page is a seek on the unique index (conversation_id, seq):
 * nothing here counts or skips rows of a conversation, so page 100000 costs what page 1 costs.
 * The statements are snapshotted in queries/history.repository.sql for review.
 */
export const HISTORY_QUERIES = {
  findConversation: 'SELECT id, message_count FROM conversation WHERE user_lo = ? AND user_hi = ?',
  findBySeqRange: `${SELECT_ROWS} WHERE m.conversation_id = ? AND m.seq BETWEEN ? AND ? ORDER BY m.seq`,
  findPosition: 'SELECT conversation_id, seq FROM `message` WHERE id = ?',
  // Both ends of the seq range are bound: with only `seq < ?` and ORDER BY ... LIMIT, MariaDB
  // picks a ref scan of the whole conversation and filters, which is O(depth).
  findBeforeSeq: `${SELECT_ROWS} WHERE m.conversation_id = ? AND m.seq >= ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
  findAfterSeq: `${SELECT_ROWS} WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq LIMIT ?`,
} as const;

const toRow = (r: RawRow): HistoryRow => ({
  id: Number(r.id),
  seq: Number(r.seq),
  senderId: Number(r.sender),
  // Same fallback as the gateway's frames, so a message reads the same live and in history.
  senderName: r.sender_name === null && !r.sender_phone ? null : displayName(r.sender_name, r.sender_phone),
  text: r.text,
  time: r.create_time,
});

@Injectable()
export class HistoryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The conversation between two users (either order), or null if they never exchanged a message. */
  async findConversation(userA: number, userB: number): Promise<ConversationTotal | null> {
    const rows: { id: number | string; message_count: number | string }[] = await this.db.query(
      HISTORY_QUERIES.findConversation,
      [Math.min(userA, userB), Math.max(userA, userB)],
    );
    return rows[0] ? { id: Number(rows[0].id), messageCount: Number(rows[0].message_count) } : null;
  }

  /** Messages at positions fromSeq..toSeq (1-based, inclusive), oldest first. */
  async findBySeqRange(conversationId: number, fromSeq: number, toSeq: number): Promise<HistoryRow[]> {
    const rows: RawRow[] = await this.db.query(HISTORY_QUERIES.findBySeqRange, [conversationId, fromSeq, toSeq]);
    return rows.map(toRow);
  }

  /** Where a message sits (a cursor's anchor), or null if there is no such message. */
  async findPosition(messageId: number): Promise<MessagePosition | null> {
    const rows: { conversation_id: number | string | null; seq: number | string | null }[] = await this.db.query(
      HISTORY_QUERIES.findPosition,
      [messageId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      conversationId: r.conversation_id === null ? null : Number(r.conversation_id),
      seq: r.seq === null ? null : Number(r.seq),
    };
  }

  /**
   * Up to `limit` messages before position `seq`, newest first. Positions are dense (1..total,
   * assigned in the insert transaction), so they lie in [seq - limit, seq).
   */
  async findBeforeSeq(conversationId: number, seq: number, limit: number): Promise<HistoryRow[]> {
    const rows: RawRow[] = await this.db.query(HISTORY_QUERIES.findBeforeSeq, [conversationId, Math.max(1, seq - limit), seq, limit]);
    return rows.map(toRow);
  }

  /** Up to `limit` messages after position `seq`, oldest first: positions (seq, seq + limit]. */
  async findAfterSeq(conversationId: number, seq: number, limit: number): Promise<HistoryRow[]> {
    const rows: RawRow[] = await this.db.query(HISTORY_QUERIES.findAfterSeq, [conversationId, seq, seq + limit, limit]);
    return rows.map(toRow);
  }
}
