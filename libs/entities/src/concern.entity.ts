import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The legacy follow relation: `user` follows `friending`; two users who follow each other are
 * friends. An old server's table may hold duplicate rows (it had no unique key): the named
 * queries count a pair once. A table the suite creates has the key unique.
 */
@Entity({ name: 'concern' })
@Index('idx_concern_user_friending', ['user', 'friending'], { unique: true })
@Index('idx_concern_friending', ['friending', 'user'])
export class ConcernEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ type: 'int' })
  user: number;

  @Column({ type: 'int' })
  friending: number;

  @Column({ name: 'update_time', type: 'datetime', nullable: true })
  updateTime: string | null;

  @Column({ name: 'create_time', type: 'datetime', nullable: true })
  createTime: string | null;
}
