import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A device of a user that can be pushed to; a token belongs to one device (and so one user). */
@Entity({ name: 'push_device' })
@Index('uq_push_device_token', ['deviceToken'], { unique: true })
@Index('idx_push_device_user', ['userId'])
export class PushDeviceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  /** fcm, apns or webhook. */
  @Column({ type: 'varchar', length: 16 })
  platform: string;

  @Column({ name: 'device_token', type: 'varchar', length: 255 })
  deviceToken: string;

  @Column({ name: 'app_id', type: 'varchar', length: 128, nullable: true })
  appId: string | null;

  @Column({ name: 'created_at', type: 'bigint' })
  createdAt: string;

  @Column({ name: 'updated_at', type: 'bigint' })
  updatedAt: string;
}
