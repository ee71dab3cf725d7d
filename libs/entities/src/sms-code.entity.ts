import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The registration code last sent to a phone: its SHA-256, expiry (epoch ms) and failed tries. */
@Entity({ name: 'sms_code' })
export class SmsCodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  phone: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'expires_at', type: 'bigint' })
  expiresAt: string;

  @Column({ type: 'int', default: 0 })
  tries: number;
}
