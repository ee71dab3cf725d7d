import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { sqlDialect, SqlDialect } from './sql-dialect';

export interface NewMessage {
  senderId: number;
  to: number;
  text: string;
  /** Receive time as the legacy wall-clock string. */
  time: string;
  clientMsgId?: string;
}

export interface StoredMessage {
  id: number;
  senderId: number;
  to: number;
  text: string;
  time: string;
  /** Position in its conversation, 1-based (rows the old server wrote get theirs by migration). */
  seq?: number;
}

export interface StoreResult {
  message: StoredMessage;
  /** True when the sender's clientMsgId was stored before: nothing new was written. */
  duplicate: boolean;
}

type MessageRow = { id: number; sender: number; to: number; text: string | null; create_time: string | null; seq?: number | null };

const toStored = (r: MessageRow): StoredMessage => ({
  id: Number(r.id),
  senderId: Number(r.sender),
  to: Number(r.to),
  text: r.text ?? '',
  time: r.create_time ?? '',
  ...(r.seq === null || r.seq === undefined ? {} : { seq: Number(r.seq) }),
});

const SELECT_MESSAGE = 'SELECT id, sender, `to`, text, create_time, seq FROM `message`';

/** Errors worth retrying a whole batch for: lock waits, deadlocks, a racing duplicate key. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_DUP_ENTRY', 'SQLITE_BUSY']);

@Injectable()
export class MessageRepository {
  private readonly dialect: SqlDialect;
  private returning?: Promise<boolean>;
  private sqliteTurn: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.dialect = sqlDialect(db);
  }

  /** Whether several storeBatch transactions may run at once (a pool, not SQLite's one connection). */
  get concurrentWrites(): boolean {
    return this.dialect.mysql;
  }

  /**
   * Stores a batch of messages in one transaction: each gets the next position in its
   * conversation, and the conversations' counters move in the same commit. A clientMsgId the
   * sender used before yields the stored message again instead of a second row.
   */
  async storeBatch(items: readonly NewMessage[]): Promise<StoreResult[]> {
    if (this.concurrentWrites) return this.storeWithRetries(items);
    // SQLite's single connection cannot hold two transactions: take turns.
    const turn = this.sqliteTurn.then(() => this.storeWithRetries(items));
    this.sqliteTurn = turn.catch(() => undefined);
    return turn;
  }

  private async storeWithRetries(items: readonly NewMessage[]): Promise<StoreResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((tx) => this.storeInTransaction(tx, items));
      } catch (e) {
        const code = (e as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (e as { code?: string }).code;
        if (attempt >= 4 || !code || !RETRYABLE.has(code)) throw e;
      }
    }
  }

  private async storeInTransaction(tx: EntityManager, items: readonly NewMessage[]): Promise<StoreResult[]> {
    const d = this.dialect;
    const results: (StoreResult | undefined)[] = new Array(items.length);

    // 1. Idempotency: earlier rows with the same (sender, clientMsgId), and repeats inside the batch.
    const keyed = items.map((m, i) => ({ m, i })).filter(({ m }) => m.clientMsgId !== undefined);
    const firstInBatch = new Map<string, number>();
    if (keyed.length) {
      const where = keyed.map(() => '(sender = ? AND client_msg_id = ?)').join(' OR ');
      const rows: (MessageRow & { client_msg_id: string })[] = await tx.query(
        `SELECT id, sender, \`to\`, text, create_time, seq, client_msg_id FROM \`message\` WHERE ${where}`,
        keyed.flatMap(({ m }) => [m.senderId, m.clientMsgId]),
      );
      const existing = new Map(rows.map((r) => [`${r.sender}:${r.client_msg_id}`, toStored(r)]));
      for (const { m, i } of keyed) {
        const key = `${m.senderId}:${m.clientMsgId}`;
        const found = existing.get(key);
        if (found) results[i] = { message: found, duplicate: true };
        else if (firstInBatch.has(key)) results[i] = undefined; // resolved from its first occurrence below
        else firstInBatch.set(key, i);
      }
    }
    const fresh = items
      .map((m, i) => ({ m, i }))
      .filter(({ m, i }) => results[i] === undefined && (m.clientMsgId === undefined || firstInBatch.get(`${m.senderId}:${m.clientMsgId}`) === i));

    if (fresh.length) {
      // 2. Reserve positions: one upsert moves every counter by its share of the batch and
      //    row-locks it until commit (locks taken in a stable order), then read the new totals.
      const pairKey = (m: NewMessage) => `${Math.min(m.senderId, m.to)}:${Math.max(m.senderId, m.to)}`;
      const shares = new Map<string, number>();
      for (const { m } of fresh) shares.set(pairKey(m), (shares.get(pairKey(m)) ?? 0) + 1);
      const pairs = [...shares.keys()].sort();
      await tx.query(
        `INSERT INTO conversation (user_lo, user_hi, message_count) VALUES ${pairs.map(() => '(?, ?, ?)').join(', ')}${d.increment(
          'user_lo, user_hi',
          'message_count',
        )}`,
        pairs.flatMap((k) => [...k.split(':').map(Number), shares.get(k)!]),
      );
      const convRows: { id: number; user_lo: number; user_hi: number; message_count: number }[] = await tx.query(
        `SELECT id, user_lo, user_hi, message_count FROM conversation WHERE ${pairs.map(() => '(user_lo = ? AND user_hi = ?)').join(' OR ')}`,
        pairs.flatMap((k) => k.split(':').map(Number)),
      );
      const conv = new Map(
        convRows.map((c) => {
          const key = `${c.user_lo}:${c.user_hi}`;
          return [key, { id: Number(c.id), next: Number(c.message_count) - shares.get(key)! + 1 }];
        }),
      );

      // 3. One multi-row insert, positions in arrival order; ids come back by RETURNING where
      //    the engine has it (MariaDB, SQLite), else by position (MySQL, any auto-increment mode).
      const placed = fresh.map(({ m, i }) => {
        const c = conv.get(pairKey(m))!;
        return { m, i, conversationId: c.id, seq: c.next++ };
      });
      const returning = await this.returningSupported(tx);
      const inserted: { id: number; conversation_id: number; seq: number }[] = await tx.query(
        `INSERT INTO \`message\` (sender, \`to\`, text, update_time, create_time, conversation_id, seq, client_msg_id, pending) VALUES ${placed
          .map(() => '(?, ?, ?, ?, ?, ?, ?, ?, 1)')
          .join(', ')}${returning ? ' RETURNING id, conversation_id, seq' : ''}`,
        placed.flatMap(({ m, conversationId, seq }) => [m.senderId, m.to, m.text, m.time, m.time, conversationId, seq, m.clientMsgId ?? null]),
      );
      const idRows = returning
        ? inserted
        : ((await tx.query(
            `SELECT id, conversation_id, seq FROM \`message\` WHERE ${placed.map(() => '(conversation_id = ? AND seq = ?)').join(' OR ')}`,
            placed.flatMap((p) => [p.conversationId, p.seq]),
          )) as { id: number; conversation_id: number; seq: number }[]);
      const ids = new Map(idRows.map((r) => [`${r.conversation_id}:${r.seq}`, Number(r.id)]));
      for (const { m, i, conversationId, seq } of placed) {
        const id = ids.get(`${conversationId}:${seq}`);
        if (id === undefined) throw new Error(`stored message ${conversationId}:${seq} not found`);
        results[i] = { message: { id, senderId: m.senderId, to: m.to, text: m.text, time: m.time, seq }, duplicate: false };
      }
    }

    // Repeats inside the batch answer with their first occurrence's row.
    return items.map((m, i) => {
      const r = results[i];
      if (r) return r;
      const first = results[firstInBatch.get(`${m.senderId}:${m.clientMsgId}`)!]!;
      return { message: first.message, duplicate: true };
    });
  }

  /** INSERT ... RETURNING: MariaDB 10.5+ and SQLite 3.35+ have it, MySQL does not. */
  private returningSupported(tx: EntityManager): Promise<boolean> {
    this.returning ??= this.dialect.mysql
      ? tx
          .query('SELECT VERSION() AS v')
          .then((rows: { v: string }[]) => /mariadb/i.test(rows[0]?.v ?? ''))
          .catch(() => false)
      : Promise.resolve(true);
    return this.returning;
  }

  /** Messages to `userId` not yet written to any of their sockets, oldest first. */
  async findPending(userId: number, afterId: number, limit: number): Promise<StoredMessage[]> {
    const rows: MessageRow[] = await this.db.query(
      `${SELECT_MESSAGE} WHERE \`to\` = ? AND pending = 1 AND id > ? ORDER BY id LIMIT ?`,
      [userId, afterId, limit],
    );
    return rows.map(toStored);
  }

  /** Messages sent to or by `userId` after `afterId`, oldest first (catch-up after a bus outage). */
  async findInvolvingAfter(userId: number, afterId: number, limit: number): Promise<StoredMessage[]> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT * FROM (
         SELECT * FROM (${SELECT_MESSAGE} WHERE \`to\` = ? AND id > ? ORDER BY id LIMIT ?) a
         UNION
         SELECT * FROM (${SELECT_MESSAGE} WHERE sender = ? AND id > ? ORDER BY id LIMIT ?) b
       ) u ORDER BY id LIMIT ?`,
      [userId, afterId, limit, userId, afterId, limit, limit],
    );
    return rows.map(toStored);
  }

  /** Messages between two users with positions from..to (inclusive), in conversation order. */
  async findConversationRange(userA: number, userB: number, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    const rows: MessageRow[] = await this.db.query(
      `${SELECT_MESSAGE} WHERE conversation_id = (SELECT id FROM conversation WHERE user_lo = ? AND user_hi = ?)
         AND seq BETWEEN ? AND ? ORDER BY seq`,
      [Math.min(userA, userB), Math.max(userA, userB), fromSeq, toSeq],
    );
    return rows.map(toStored);
  }

  async markDelivered(ids: readonly number[]): Promise<void> {
    if (!ids.length) return;
    await this.db.query(`UPDATE \`message\` SET pending = 0 WHERE id IN (${ids.map(() => '?').join(', ')})`, [...ids]);
  }

  /** The newest message id, or 0: a socket's starting point for re-reads. */
  async latestId(): Promise<number> {
    const rows: { id: number | null }[] = await this.db.query('SELECT MAX(id) AS id FROM `message`');
    return Number(rows[0]?.id ?? 0);
  }
}
