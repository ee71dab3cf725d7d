import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The legacy `message` table plus additive columns:
 * - conversation_id/seq: the message's 1-based position in its conversation, so a history page
 *   is a range seek and never an OFFSET scan;
 * - client_msg_id: idempotency key of modern clients, unique per sender;
 * - pending: 1 while no device of the recipient had confirmed the message (stored, not yet
 *   confirmed). No longer used: what devices confirmed is a position per conversation member
 *   (conversation_member.delivered_seq). Kept because the schema before that used it, which a
 *   down migration restores.
 */
@Entity({ name: 'message' })
@Index('uq_message_conversation_seq', ['conversationId', 'seq'], { unique: true })
@Index('uq_message_sender_client', ['sender', 'clientMsgId'], { unique: true })
export class MessageEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ type: 'int' })
  sender: number;

  @Column({ type: 'int' })
  to: number;

  @Column({ type: 'varchar', length: 500, nullable: true })
  text: string | null;

  @Column({ name: 'update_time', type: 'datetime', nullable: true })
  updateTime: string | null;

  @Column({ name: 'create_time', type: 'datetime', nullable: true })
  createTime: string | null;

  @Column({ name: 'conversation_id', type: 'int', nullable: true })
  conversationId: number | null;

  @Column({ type: 'int', nullable: true })
  seq: number | null;

  @Column({ name: 'client_msg_id', type: 'varchar', length: 64, nullable: true, charset: 'ascii', collation: 'ascii_bin' })
  clientMsgId: string | null;

  @Column({ type: 'tinyint', default: 0 })
  pending: number;
}
