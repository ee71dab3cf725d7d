import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Who uploaded which stored file: an avatar may only be one's own upload. */
@Injectable()
export class UploadOwnerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(uri: string, userId: number, now: number): Promise<void> {
    await this.db.query('INSERT INTO upload_owner (uri, user_id, created_at) VALUES (?, ?, ?)', [uri, userId, now]);
  }

  async ownerOf(uri: string): Promise<number | null> {
    const rows: { user_id: number }[] = await this.db.query('SELECT user_id FROM upload_owner WHERE uri = ?', [uri]);
    return rows[0] ? Number(rows[0].user_id) : null;
  }
}
