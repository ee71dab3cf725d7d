import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** `blocker` refuses chat messages, typing and receipts from `blocked` (one direction). */
@Entity({ name: 'user_block' })
@Index('idx_user_block_blocked', ['blocked'])
export class UserBlockEntity {
  @PrimaryColumn({ type: 'int' })
  blocker: number;

  @PrimaryColumn({ type: 'int' })
  blocked: number;

  /** Epoch milliseconds. */
  @Column({ name: 'created_at', type: 'bigint' })
  createdAt: string;
}
