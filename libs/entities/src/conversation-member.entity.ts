import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row per conversation and member (two per conversation): how far the member's devices have
 * received and the member has read, and what the conversation list shows. Positions are the
 * `message.seq` of the conversation; unread = received_count - read_count, never counting the
 * member's own messages.
 */
@Entity({ name: 'conversation_member' })
@Index('idx_member_recent', ['userId', 'lastMessageId'])
@Index('idx_member_conversation', ['conversationId'])
export class ConversationMemberEntity {
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId: number;

  @PrimaryColumn({ name: 'friend_id', type: 'int' })
  friendId: number;

  @Column({ name: 'conversation_id', type: 'int' })
  conversationId: number;

  /** The conversation's last position (its message_count), and that message's id (list order). */
  @Column({ name: 'last_seq', type: 'int', default: 0 })
  lastSeq: number;

  @Column({ name: 'last_message_id', type: 'int', default: 0 })
  lastMessageId: number;

  /** Messages from the friend, and the position of the last one. */
  @Column({ name: 'received_count', type: 'int', default: 0 })
  receivedCount: number;

  @Column({ name: 'received_seq', type: 'int', default: 0 })
  receivedSeq: number;

  /** Every friend message up to here has reached a device of the member (confirmed). */
  @Column({ name: 'delivered_seq', type: 'int', default: 0 })
  deliveredSeq: number;

  /** The member has read up to here; read_count friend messages lie at or below it. */
  @Column({ name: 'read_seq', type: 'int', default: 0 })
  readSeq: number;

  @Column({ name: 'read_count', type: 'int', default: 0 })
  readCount: number;
}
