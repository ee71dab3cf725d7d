import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { sqlDialect, SqlDialect } from './sql-dialect';
import { displayName } from './user.repository';
import { affectedRows } from './affected-rows';

/** One conversation as its member's devices track it (see conversation_member). */
export interface MemberPosition {
  friendId: number;
  conversationId: number;
  /** The conversation's last position. */
  lastSeq: number;
  /** Position of the friend's last message (0: none). */
  receivedSeq: number;
  /** Every friend message up to here has reached a device of the member. */
  deliveredSeq: number;
}

/** A delivered position to record: the devices of `userId` have received `friendId`'s messages up to `seq`. */
export interface DeliveredPosition {
  userId: number;
  friendId: number;
  seq: number;
}

export interface ReadOutcome {
  /** The read position after the call (monotonic: a lower seq leaves it where it was). */
  readSeq: number;
  lastSeq: number;
  unread: number;
  /** False when the position did not move. */
  moved: boolean;
}

export type ReadRefusal = 'not-a-member' | 'past-the-end';

export interface ConversationListRow {
  friendId: number;
  friendName: string;
  friendImg: string | null;
  unread: number;
  readSeq: number;
  friendReadSeq: number;
  lastMessageId: number;
  lastMessage: { id: number; seq: number; senderId: number; sender: string; text: string; time: string } | null;
}

/**
 * Per-member conversation state: delivered and read positions, unread counts, the conversation
 * list. Every statement touches the member's own rows through the primary key (user_id,
 * friend_id) or the list index (user_id, last_message_id). The statements are
 * named in CONVERSATION_QUERIES below, so a reviewer reads each whole.
 */
export const CONVERSATION_QUERIES = {
  positions: 'SELECT friend_id, conversation_id, last_seq, received_seq, delivered_seq FROM conversation_member WHERE user_id = ?',
  member: 'SELECT conversation_id, last_seq, read_seq, received_count - read_count AS unread FROM conversation_member WHERE user_id = ? AND friend_id = ?',
  lastSeq: 'SELECT last_seq FROM conversation_member WHERE user_id = ? AND friend_id = ?',
  // read_count is assigned first, from the read position before this call (SET goes left to right
  // on MySQL/MariaDB; SQLite reads old values everywhere).
  markRead:
    'UPDATE conversation_member SET read_count = read_count + (SELECT COUNT(*) FROM `message` m ' +
    'WHERE m.conversation_id = conversation_member.conversation_id AND m.sender = conversation_member.friend_id ' +
    'AND m.seq > conversation_member.read_seq AND m.seq <= ?), read_seq = ? ' +
    'WHERE user_id = ? AND friend_id = ? AND read_seq < ? AND last_seq >= ?',
  listPage:
    'SELECT cm.friend_id, cm.last_message_id, cm.received_count - cm.read_count AS unread, cm.read_seq, f.read_seq AS friend_read_seq, ' +
    'u.name AS friend_name, u.phone AS friend_phone, u.img AS friend_img, ' +
    'm.id AS m_id, m.seq AS m_seq, m.sender AS m_sender, m.text AS m_text, m.create_time AS m_time, su.name AS m_sender_name, su.phone AS m_sender_phone ' +
    'FROM conversation_member cm ' +
    'LEFT JOIN conversation_member f ON f.user_id = cm.friend_id AND f.friend_id = cm.user_id ' +
    'LEFT JOIN `user` u ON u.id = cm.friend_id ' +
    'LEFT JOIN `message` m ON m.id = cm.last_message_id ' +
    'LEFT JOIN `user` su ON su.id = m.sender ' +
    'WHERE cm.user_id = ? AND cm.last_message_id < ? ORDER BY cm.last_message_id DESC LIMIT ?',
  totalUnread: 'SELECT COALESCE(SUM(received_count - read_count), 0) AS n FROM conversation_member WHERE user_id = ?',
} as const;

type PositionRow = { friend_id: number | string; conversation_id: number | string; last_seq: number | string; received_seq: number | string; delivered_seq: number | string };
type ListRow = {
  friend_id: number | string;
  last_message_id: number | string;
  unread: number | string;
  read_seq: number | string;
  friend_read_seq: number | string | null;
  friend_name: string | null;
  friend_phone: string | null;
  friend_img: string | null;
  m_id: number | string | null;
  m_seq: number | string | null;
  m_sender: number | string | null;
  m_text: string | null;
  m_time: string | null;
  m_sender_name: string | null;
  m_sender_phone: string | null;
};

@Injectable()
export class ConversationRepository {
  private readonly dialect: SqlDialect;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.dialect = sqlDialect(db);
  }

  /** Every conversation of `userId` with its positions: where a new socket of the user starts. */
  async positions(userId: number): Promise<MemberPosition[]> {
    const rows: PositionRow[] = await this.db.query(CONVERSATION_QUERIES.positions, [userId]);
    return rows.map((r) => ({
      friendId: Number(r.friend_id),
      conversationId: Number(r.conversation_id),
      lastSeq: Number(r.last_seq),
      receivedSeq: Number(r.received_seq),
      deliveredSeq: Number(r.delivered_seq),
    }));
  }

  /** Whether the two users have exchanged a message (either way): one primary-key lookup. */
  async haveTalked(userId: number, friendId: number): Promise<boolean> {
    const rows: { last_seq: number | string }[] = await this.db.query(CONVERSATION_QUERIES.lastSeq, [userId, friendId]);
    return rows.length > 0 && Number(rows[0].last_seq) > 0;
  }

    /** Records delivered positions in one statement; a position never moves back. */
  async recordDelivered(positions: readonly DeliveredPosition[]): Promise<void> {
    if (!positions.length) return;
    // Primary-key order, the order the batch writers lock member rows in.
    const entries = [...positions].sort((x, y) => x.userId - y.userId || x.friendId - y.friendId);
    const cases = entries.map(() => `WHEN user_id = ? AND friend_id = ? THEN ${this.dialect.greatest('delivered_seq', '?')}`).join(' ');
    await this.db.query(
      `UPDATE conversation_member SET delivered_seq = CASE ${cases} ELSE delivered_seq END WHERE ${entries
        .map(() => '(user_id = ? AND friend_id = ?)')
        .join(' OR ')}`,
      [...entries.flatMap((e) => [e.userId, e.friendId, e.seq]), ...entries.flatMap((e) => [e.userId, e.friendId])],
    );
  }

  /**
   * Moves the read position of `userId` in the conversation with `friendId` to `seq` (never
   * back), counting the friend's messages it passes so unread stays exact.
   */
  async markRead(userId: number, friendId: number, seq: number): Promise<ReadOutcome | ReadRefusal> {
    const moved = (await affectedRows(this.db, CONVERSATION_QUERIES.markRead, [seq, seq, userId, friendId, seq, seq])) > 0;
    const rows: { last_seq: number | string; read_seq: number | string; unread: number | string }[] = await this.db.query(CONVERSATION_QUERIES.member, [
      userId,
      friendId,
    ]);
    const row = rows[0];
    if (!row) return 'not-a-member';
    if (!moved && seq > Number(row.last_seq)) return 'past-the-end';
    return { readSeq: Number(row.read_seq), lastSeq: Number(row.last_seq), unread: Number(row.unread), moved };
  }


  /**
   * A page of the conversation list, most recent first, with the total unread, read together
   * (one snapshot, so the total agrees with the page). `before`: the previous page's last
   * `lastMessageId` (a conversation's last message id is unique, so the order is strict).
   */
  async listPage(userId: number, before: number | undefined, limit: number): Promise<{ rows: ConversationListRow[]; totalUnread: number }> {
    // One snapshot: REPEATABLE READ on MySQL/MariaDB; an SQLite transaction is serializable and
    // takes no isolation level.
    const snapshot = <T>(work: (tx: EntityManager) => Promise<T>) =>
      this.dialect.mysql ? this.db.transaction('REPEATABLE READ', work) : this.db.transaction(work);
    return snapshot(async (tx) => {
      const rows: ListRow[] = await tx.query(CONVERSATION_QUERIES.listPage, [userId, before ?? Number.MAX_SAFE_INTEGER, limit]);
      const total: { n: number | string }[] = await tx.query(CONVERSATION_QUERIES.totalUnread, [userId]);
      return { rows: rows.map(toListRow), totalUnread: Number(total[0]?.n ?? 0) };
    });
  }
}

function toListRow(r: ListRow): ConversationListRow {
  return {
    friendId: Number(r.friend_id),
    friendName: displayName(r.friend_name, r.friend_phone),
    friendImg: r.friend_img,
    unread: Number(r.unread),
    readSeq: Number(r.read_seq),
    friendReadSeq: Number(r.friend_read_seq ?? 0),
    lastMessageId: Number(r.last_message_id),
    lastMessage:
      r.m_id === null
        ? null
        : {
            id: Number(r.m_id),
            seq: Number(r.m_seq),
            senderId: Number(r.m_sender),
            sender: displayName(r.m_sender_name, r.m_sender_phone),
            text: r.m_text ?? '',
            time: r.m_time ?? '',
          },
  };
}
