import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DUPLICATE_KEY_CODES } from './batch-writer';
import { placeholders } from './sql-dialect';
import { defaultUserName } from './user.repository';

/** What sign-in needs of a user row. */
export interface Credentials {
  id: number;
  /** The legacy MD5 column (upper-case hex), '' or NULL once cleared. */
  legacyHash: string | null;
  passwordHash: string | null;
  tokenEpoch: number;
}

/** A user as the legacy `User` object shows it (img as stored: a file name or a remote URL). */
export interface Profile {
  id: number;
  name: string;
  phone: string | null;
  sex: number | null;
  stage: string | null;
  msg: string | null;
  img: string | null;
}

export interface ProfileChange {
  name?: string;
  msg?: string;
  sex?: number;
  stage?: string;
  img?: string;
}

export interface UserCard {
  id: number;
  name: string;
  img: string | null;
}

// `!` escapes LIKE's wildcards: a backslash is read differently by MySQL and SQLite string literals.
const likeEscape = (text: string): string => text.replace(/[!%_]/g, (c) => `!${c}`);

type ProfileRow = { id: number; name: string | null; phone: string | null; sex: number | null; stage: string | null; msg: string | null; img: string | null };

const toProfile = (r: ProfileRow): Profile => ({
  id: Number(r.id),
  name: r.name ?? (r.phone ? defaultUserName(r.phone) : ''),
  phone: r.phone,
  sex: r.sex === null ? null : Number(r.sex),
  stage: r.stage,
  msg: r.msg,
  img: r.img,
});

const toCard = (r: { id: number; name: string | null; phone: string | null; img: string | null }): UserCard => ({
  id: Number(r.id),
  name: r.name ?? (r.phone ? defaultUserName(r.phone) : ''),
  img: r.img,
});

/** A unique key refused the row (the phone is taken). */
export class DuplicatePhoneError extends Error {}

/** The `user` table as sign-in, registration and the profile screens use it. */
@Injectable()
export class AccountRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async credentialsByPhone(phone: string): Promise<Credentials | null> {
    const rows: { id: number; password: string | null; password_hash: string | null; token_epoch: number }[] = await this.db.query(
      'SELECT id, password, password_hash, token_epoch FROM `user` WHERE phone = ?',
      [phone],
    );
    return rows[0] ? toCredentials(rows[0]) : null;
  }

  async credentialsById(id: number): Promise<Credentials | null> {
    const rows: { id: number; password: string | null; password_hash: string | null; token_epoch: number }[] = await this.db.query(
      'SELECT id, password, password_hash, token_epoch FROM `user` WHERE id = ?',
      [id],
    );
    return rows[0] ? toCredentials(rows[0]) : null;
  }

  /** The user's token epoch, or null when the user does not exist. */
  async tokenEpoch(id: number): Promise<number | null> {
    const rows: { token_epoch: number }[] = await this.db.query('SELECT token_epoch FROM `user` WHERE id = ?', [id]);
    return rows[0] ? Number(rows[0].token_epoch) : null;
  }

  /**
   * A new user; `legacyHash` is what the old server's column must hold ('' when it is not kept:
   * the legacy column is NOT NULL). Throws DuplicatePhoneError when the phone is taken, also
   * when another replica inserted it a moment ago (the unique key decides).
   */
  async register(phone: string, passwordHash: string, legacyHash: string, time: string): Promise<number> {
    try {
      await this.db.query(
        'INSERT INTO `user` (name, phone, password, password_hash, token_epoch, update_time, create_time) VALUES (?, ?, ?, ?, 0, ?, ?)',
        [defaultUserName(phone), phone, legacyHash, passwordHash, time, time],
      );
    } catch (e) {
      if (DUPLICATE_KEY_CODES.has((e as { code?: string }).code ?? '')) throw new DuplicatePhoneError(phone);
      throw e;
    }
    const rows: { id: number }[] = await this.db.query('SELECT id FROM `user` WHERE phone = ?', [phone]);
    return Number(rows[0].id);
  }

  /** A rehash at login: same password, so tokens stay valid. Only if the row still holds `expected`. */
  async upgradeHash(id: number, passwordHash: string, legacyHash: string, time: string): Promise<void> {
    await this.db.query('UPDATE `user` SET password_hash = ?, password = ?, update_time = ? WHERE id = ?', [passwordHash, legacyHash, time, id]);
  }

  /** A new password: every token issued before is refused from now on. Returns the new epoch. */
  async changePassword(id: number, passwordHash: string, legacyHash: string, time: string): Promise<number> {
    await this.db.query(
      'UPDATE `user` SET password_hash = ?, password = ?, token_epoch = token_epoch + 1, update_time = ? WHERE id = ?',
      [passwordHash, legacyHash, time, id],
    );
    return (await this.tokenEpoch(id)) ?? 0;
  }

  async profile(id: number): Promise<Profile | null> {
    const rows: ProfileRow[] = await this.db.query('SELECT id, name, phone, sex, stage, msg, img FROM `user` WHERE id = ?', [id]);
    return rows[0] ? toProfile(rows[0]) : null;
  }

  async updateProfile(id: number, change: ProfileChange, time: string): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const column of ['name', 'msg', 'sex', 'stage', 'img'] as const) {
      if (change[column] === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(change[column]);
    }
    if (!sets.length) return;
    await this.db.query(`UPDATE \`user\` SET ${sets.join(', ')}, update_time = ? WHERE id = ?`, [...values, time, id]);
  }

  async cards(ids: readonly number[]): Promise<UserCard[]> {
    if (!ids.length) return [];
    const rows: { id: number; name: string | null; phone: string | null; img: string | null }[] = await this.db.query(
      `SELECT id, name, phone, img FROM \`user\` WHERE id IN (${placeholders(ids)}) ORDER BY id`,
      [...ids],
    );
    return rows.map(toCard);
  }

  /** An exact phone number, or names that start with `namePrefix` (LIKE wildcards escaped), at most `limit`. */
  async search(phone: string | null, namePrefix: string | null, limit: number): Promise<UserCard[]> {
    if (phone !== null) {
      const rows: { id: number; name: string | null; phone: string | null; img: string | null }[] = await this.db.query(
        'SELECT id, name, phone, img FROM `user` WHERE phone = ?',
        [phone],
      );
      return rows.map(toCard);
    }
    if (namePrefix === null) return [];
    const pattern = `${likeEscape(namePrefix)}%`;
    const rows: { id: number; name: string | null; phone: string | null; img: string | null }[] = await this.db.query(
      `SELECT id, name, phone, img FROM \`user\` WHERE name LIKE ? ESCAPE '!' ORDER BY id LIMIT ${Math.trunc(limit)}`,
      [pattern],
    );
    return rows.map(toCard);
  }

  /** Users whose phone or name contains `q` (the admin CLI), at most `limit`. */
  async list(q: string | null, limit: number): Promise<(UserCard & { phone: string | null })[]> {
    const where = q === null ? '' : "WHERE phone LIKE ? ESCAPE '!' OR name LIKE ? ESCAPE '!'";
    const pattern = q === null ? null : `%${likeEscape(q)}%`;
    const rows: { id: number; name: string | null; phone: string | null; img: string | null }[] = await this.db.query(
      `SELECT id, name, phone, img FROM \`user\` ${where} ORDER BY id LIMIT ${Math.trunc(limit)}`,
      pattern === null ? [] : [pattern, pattern],
    );
    return rows.map((r) => ({ ...toCard(r), phone: r.phone }));
  }
}

function toCredentials(r: { id: number; password: string | null; password_hash: string | null; token_epoch: number }): Credentials {
  return { id: Number(r.id), legacyHash: r.password, passwordHash: r.password_hash, tokenEpoch: Number(r.token_epoch) };
}
