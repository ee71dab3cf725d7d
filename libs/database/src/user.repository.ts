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

/**
 * Bidirectional controls: embeddings and overrides (U+202A..U+202E), isolates (U+2066..U+2069) and
 * the marks (U+200E, U+200F, U+061C). In a name, U+202E makes `abc\u202Egpj.exe` read as
 * `abcexe.jpg`, and an unterminated one reverses what a client shows after the name.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** A name with its bidirectional controls removed: as it is stored, and as it is served (an old row may hold them). */
export const neutralName = (name: string): string => name.replace(BIDI_CONTROLS, '');

/**
 * What a user is called on the wire: the name without bidirectional controls, else (none, or
 * nothing left) the legacy default from the phone, else ''.
 */
export const displayName = (name: string | null | undefined, phone: string | null | undefined): string => {
  if (name !== null && name !== undefined) {
    const neutral = neutralName(name);
    if (neutral || !name) return neutral;
  }
  return phone ? defaultUserName(phone) : '';
};

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

  /** Which of `ids` still exist (one statement per 500 ids). */
  async existing(ids: readonly number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows: { id: number | string }[] = await this.db.query(`SELECT id FROM \`user\` WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
      for (const r of rows) found.add(Number(r.id));
    }
    return found;
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
    const name = user.name === undefined ? defaultUserName(user.phone) : neutralName(user.name) || defaultUserName(user.phone);
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
