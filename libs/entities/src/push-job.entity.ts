import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One notification to one recipient for a run of a friend's messages (positions first_seq..last_seq
 * of their conversation), written by the message store in the messages' transaction. Times are
 * epoch milliseconds. See the migration PushOutbox1716800000004 for the columns' roles.
 */
@Entity({ name: 'push_job' })
@Index('uq_push_job_open', ['userId', 'friendId', 'openSlot'], { unique: true })
@Index('idx_push_job_available', ['availableAt'])
@Index('idx_push_job_conversation', ['conversationId', 'userId', 'lastSeq'])
export class PushJobEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  @Column({ name: 'friend_id', type: 'int' })
  friendId: number;

  @Column({ name: 'conversation_id', type: 'int' })
  conversationId: number;

  @Column({ name: 'open_slot', type: 'tinyint', nullable: true })
  openSlot: number | null;

  @Column({ name: 'first_seq', type: 'int' })
  firstSeq: number;

  @Column({ name: 'last_seq', type: 'int' })
  lastSeq: number;

  @Column({ name: 'message_count', type: 'int' })
  messageCount: number;

  @Column({ name: 'stored_at', type: 'bigint' })
  storedAt: string;

  @Column({ name: 'due_at', type: 'bigint' })
  dueAt: string;

  @Column({ name: 'available_at', type: 'bigint', nullable: true })
  availableAt: string | null;

  /** pending, sending, sent, skipped, dead. */
  @Column({ type: 'varchar', length: 16 })
  state: string;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 128, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_until', type: 'bigint', nullable: true })
  leaseUntil: string | null;

  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  outcome: string | null;

  @Column({ name: 'sent_at', type: 'bigint', nullable: true })
  sentAt: string | null;

  @Column({ name: 'sent_count', type: 'int', nullable: true })
  sentCount: number | null;

  @Column({ name: 'updated_at', type: 'bigint', nullable: true })
  updatedAt: string | null;
}
