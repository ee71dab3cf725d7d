import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One row per pair of users; message_count is the conversation's total, read in O(1). */
@Entity({ name: 'conversation' })
@Index('uq_conversation_pair', ['userLo', 'userHi'], { unique: true })
export class ConversationEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ name: 'user_lo', type: 'int' })
  userLo: number;

  @Column({ name: 'user_hi', type: 'int' })
  userHi: number;

  @Column({ name: 'message_count', type: 'int', default: 0 })
  messageCount: number;
}
