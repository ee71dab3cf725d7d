import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { affectedRows } from './affected-rows';
import { DUPLICATE_KEY_CODES } from './batch-writer';

/** How `from` stands towards `to`, as the chat policy needs it. */
export interface Relation {
  /** `to` has blocked `from`. */
  blockedBy: boolean;
  /** Both follow each other. */
  friends: boolean;
}

/**
 * Follows (the legacy `concern` table, duplicates counted once) and blocks. The old server's
 * table has no unique key, so a follow inserts only when no row exists (a race may still add a
 * duplicate there; every query tolerates it).
 */
@Injectable()
export class RelationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async userExists(id: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT id FROM `user` WHERE id = ?', [id]);
    return rows.length > 0;
  }

  async follows(user: number, friending: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT id FROM concern WHERE `user` = ? AND friending = ? LIMIT 1', [user, friending]);
    return rows.length > 0;
  }

  /** True when a row was added (false: it was there already). */
  async follow(user: number, friending: number, time: string): Promise<boolean> {
    return (
      (await affectedRows(
        this.db,
        `INSERT INTO concern (\`user\`, friending, update_time, create_time)
        SELECT ?, ?, ?, ? FROM (SELECT 1 AS one) AS seed
        WHERE NOT EXISTS (SELECT 1 FROM concern WHERE \`user\` = ? AND friending = ?)`,
        [user, friending, time, time, user, friending],
      ).catch((e: { code?: string }) => {
        // The unique key of a table the suite created: another request followed first.
        if (DUPLICATE_KEY_CODES.has(e.code ?? '')) return 0;
        throw e;
      })) > 0
    );
  }

  /** True when there was something to remove. */
  async unfollow(user: number, friending: number): Promise<boolean> {
    return (await affectedRows(this.db, 'DELETE FROM concern WHERE `user` = ? AND friending = ?', [user, friending])) > 0;
  }

  /** The users `user` follows, each once, in the order first followed. */
  async following(user: number): Promise<number[]> {
    const rows: { friending: number }[] = await this.db.query(
      'SELECT friending, MIN(id) AS first FROM concern WHERE `user` = ? GROUP BY friending ORDER BY first',
      [user],
    );
    return rows.map((r) => Number(r.friending));
  }

  async block(blocker: number, blocked: number, now: number): Promise<boolean> {
    const exists: unknown[] = await this.db.query('SELECT 1 FROM user_block WHERE blocker = ? AND blocked = ?', [blocker, blocked]);
    if (exists.length) return false;
    await this.db
      .query('INSERT INTO user_block (blocker, blocked, created_at) VALUES (?, ?, ?)', [blocker, blocked, now])
      .catch((e: { code?: string }) => {
        if (!DUPLICATE_KEY_CODES.has(e.code ?? '') && e.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw e;
      });
    return true;
  }

  async unblock(blocker: number, blocked: number): Promise<boolean> {
    return (await affectedRows(this.db, 'DELETE FROM user_block WHERE blocker = ? AND blocked = ?', [blocker, blocked])) > 0;
  }

  async blockedBy(blocker: number): Promise<number[]> {
    const rows: { blocked: number }[] = await this.db.query('SELECT blocked FROM user_block WHERE blocker = ? ORDER BY created_at, blocked', [blocker]);
    return rows.map((r) => Number(r.blocked));
  }

  /** One round trip: has `to` blocked `from`, and do both follow each other. */
  async relation(from: number, to: number): Promise<Relation> {
    const rows: { blocked: number; there: number; back: number }[] = await this.db.query(
      `SELECT
        (SELECT COUNT(*) FROM user_block WHERE blocker = ? AND blocked = ?) AS blocked,
        (SELECT COUNT(*) FROM concern WHERE \`user\` = ? AND friending = ?) AS there,
        (SELECT COUNT(*) FROM concern WHERE \`user\` = ? AND friending = ?) AS back`,
      [to, from, from, to, to, from],
    );
    const r = rows[0];
    return { blockedBy: Number(r.blocked) > 0, friends: Number(r.there) > 0 && Number(r.back) > 0 };
  }
}

