import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** The legacy `user` table, kept as the old server defined it. */
@Entity({ name: 'user' })
// `phone varchar(32) UNIQUE`: MySQL names that index after the column.
@Unique('phone', ['phone'])
export class UserEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  password: string | null;

  /** argon2id in PHC form (parameters and salt inside); NULL for a legacy row not yet upgraded. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash: string | null;

  /** Bumped by every password change: tokens issued in an earlier epoch are refused. */
  @Column({ name: 'token_epoch', type: 'int', default: 0 })
  tokenEpoch: number;

  @Column({ type: 'int', nullable: true })
  sex: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  stage: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  msg: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  img: string | null;

  /** Wall-clock `yyyy-MM-dd HH:mm:ss` in the chat zone, as the old server wrote it. */
  @Column({ name: 'update_time', type: 'datetime', nullable: true })
  updateTime: string | null;

  @Column({ name: 'create_time', type: 'datetime', nullable: true })
  createTime: string | null;
}
