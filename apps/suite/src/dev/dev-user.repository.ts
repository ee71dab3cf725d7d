import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { displayName, UserSummary } from '@app/database';

/** The one query only the development tools need: who is there to chat with. */
@Injectable()
export class DevUserRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The newest users first. */
  async listNewest(limit: number): Promise<UserSummary[]> {
    const rows: { id: number; name: string | null; phone: string | null }[] = await this.db.query(
      'SELECT id, name, phone FROM `user` ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({ id: Number(r.id), name: displayName(r.name, r.phone) }));
  }
}
