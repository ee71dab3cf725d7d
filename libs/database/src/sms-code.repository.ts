import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { affectedRows } from './affected-rows';

/** Registration codes: one live code per phone, stored as its SHA-256. */
@Injectable()
export class SmsCodeRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async put(phone: string, codeHash: string, expiresAt: number): Promise<void> {
    await this.db.query('DELETE FROM sms_code WHERE phone = ?', [phone]);
    await this.db.query('INSERT INTO sms_code (phone, code_hash, expires_at, tries) VALUES (?, ?, ?, 0)', [phone, codeHash, expiresAt]);
  }

  async find(phone: string): Promise<{ codeHash: string; expiresAt: number; tries: number } | null> {
    const rows: { code_hash: string; expires_at: number | string; tries: number }[] = await this.db.query(
      'SELECT code_hash, expires_at, tries FROM sms_code WHERE phone = ?',
      [phone],
    );
    const r = rows[0];
    return r ? { codeHash: r.code_hash, expiresAt: Number(r.expires_at), tries: Number(r.tries) } : null;
  }

  /** Counts a wrong try; false when the code was gone or used up meanwhile. */
  async countTry(phone: string, maxTries: number): Promise<boolean> {
    return (await affectedRows(this.db, 'UPDATE sms_code SET tries = tries + 1 WHERE phone = ? AND tries < ?', [phone, maxTries])) > 0;
  }

  /** Takes the code (used once); false when another request took it first. */
  async take(phone: string, codeHash: string): Promise<boolean> {
    return (await affectedRows(this.db, 'DELETE FROM sms_code WHERE phone = ? AND code_hash = ?', [phone, codeHash])) > 0;
  }
}
