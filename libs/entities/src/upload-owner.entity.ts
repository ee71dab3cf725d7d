import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Who uploaded a stored file (`uri` as upload.do answered it). */
@Entity({ name: 'upload_owner' })
export class UploadOwnerEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  uri: string;

  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  @Column({ name: 'created_at', type: 'bigint' })
  createdAt: string;
}
