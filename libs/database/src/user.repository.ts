import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface UserSummary {
  id: number;
  name: string;
}

/** A user with the token epoch the auth layer checks tokens against. */
export interface KnownUser extends UserSummary {
  tokenEpoch: number;
}

export interface NewUser {
  phone: string;
  name?: string;
  time: string;
}

/** The legacy default name of a user who never set one. */
export const defaultUserName = (phone: string): string => `手机用户${phone}`;

/** What a user is called on the wire: the name, else the legacy default from the phone, else ''. */
export const displayName = (name: string | null | undefined, phone: string | null | undefined): string =>
  name ?? (phone ? defaultUserName(phone) : '');

@Injectable()
export class UserRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findById(id: number): Promise<UserSummary | null> {
    const rows: { id: number; name: string | null; phone: string | null }[] = await this.db.query(
      'SELECT id, name, phone FROM `user` WHERE id = ?',
      [id],
    );
    const row = rows[0];
    return row ? { id: Number(row.id), name: displayName(row.name, row.phone) } : null;
  }

  /** The user's name and token epoch in one look-up (the suite's user cache loads these). */
  async findKnown(id: number): Promise<KnownUser | null> {
    const rows: { id: number; name: string | null; phone: string | null; token_epoch: number | null }[] = await this.db.query(
      'SELECT id, name, phone, token_epoch FROM `user` WHERE id = ?',
      [id],
    );
    const row = rows[0];
    return row ? { id: Number(row.id), name: displayName(row.name, row.phone), tokenEpoch: Number(row.token_epoch ?? 0) } : null;
  }

  async findByPhone(phone: string): Promise<UserSummary | null> {
    const rows: { id: number }[] = await this.db.query('SELECT id FROM `user` WHERE phone = ?', [phone]);
    return rows[0] ? this.findById(Number(rows[0].id)) : null;
  }

  async create(user: NewUser): Promise<UserSummary> {
    const name = user.name ?? defaultUserName(user.phone);
    await this.db.query('INSERT INTO `user` (name, phone, update_time, create_time) VALUES (?, ?, ?, ?)', [
      name,
      user.phone,
      user.time,
      user.time,
    ]);
    const created = await this.findByPhone(user.phone);
    if (!created) throw new Error(`user ${user.phone} vanished after insert`);
    return created;
  }
}
