import { DataSource, EntityManager } from 'typeorm';
import { BatchWriter, driverErrorCode, InsertedRow, OutcomeUnknownError, rowToStored, StoredRowLike } from './batch-writer';
import { BatchPlan, idempotencyKey, NewMessage, planOutbox, StoredMessage } from './message-batch';
import { SqlDialect, sqlDialect } from './sql-dialect';

const SELECT_STORED = 'SELECT id, sender, `to`, text, create_time, seq, client_msg_id FROM `message`';
const FIND_STORED_WINDOW = 500;

/** The deadline passed before the batch could commit: rolled back, nothing written. */
class Expired extends Error {}

/**
 * Writes a batch statement by statement in one transaction, where the engine cannot take it in
 * one round trip: SQLite (in process, so round trips cost nothing) and MySQL (no INSERT ...
 * RETURNING: ids are read back by position). The deadline is checked before the first write and
 * again before COMMIT.
 */
export class StepwiseBatchWriter implements BatchWriter {
  private readonly dialect: SqlDialect;
  private returning?: Promise<boolean>;
  private sqliteTurn: Promise<unknown> = Promise.resolve();
  /** Push on: each batch writes its outbox jobs, due this long after it is stored. */
  private readonly pushDelayMs?: number;

  constructor(
    private readonly db: DataSource,
    /** MySQL: RETURNING is missing (MariaDB before 10.5 too). Tests force the MySQL path on MariaDB. */
    options: { returning?: boolean; pushDelayMs?: number } = {},
  ) {
    this.pushDelayMs = options.pushDelayMs;
    this.dialect = sqlDialect(db);
    if (options.returning !== undefined) this.returning = Promise.resolve(options.returning);
  }

  write(plan: BatchPlan, deadline: number): Promise<InsertedRow[] | 'expired'> {
    const attempt = () =>
      this.db
        .transaction((tx) => this.writeIn(tx, plan, deadline))
        .catch((e: unknown) => {
          if (e instanceof Expired) return 'expired' as const;
          if (this.dialect.mysql && !driverErrorCode(e)?.startsWith('ER_') && isConnectionFailure(e)) throw new OutcomeUnknownError(e);
          throw e;
        });
    if (this.dialect.mysql) return attempt();
    // SQLite's single connection cannot hold two transactions: take turns.
    const turn = this.sqliteTurn.then(attempt);
    this.sqliteTurn = turn.catch(() => undefined);
    return turn;
  }

  private async writeIn(tx: EntityManager, plan: BatchPlan, deadline: number): Promise<InsertedRow[]> {
    const d = this.dialect;
    if (Date.now() >= deadline) throw new Expired();
    await tx.query(
      `INSERT INTO conversation (user_lo, user_hi, message_count) VALUES ${plan.shares.map(() => '(?, ?, ?)').join(', ')}${d.upsert(
        'user_lo, user_hi',
        { message_count: 'add' },
      )}`,
      plan.shares.flatMap((s) => [s.lo, s.hi, s.count]),
    );
    const convRows: { id: number; user_lo: number; user_hi: number; message_count: number }[] = await tx.query(
      `SELECT id, user_lo, user_hi, message_count FROM conversation WHERE ${plan.shares.map(() => '(user_lo = ? AND user_hi = ?)').join(' OR ')}`,
      plan.shares.flatMap((s) => [s.lo, s.hi]),
    );
    const conv = new Map(convRows.map((c) => [`${c.user_lo}:${c.user_hi}`, { id: Number(c.id), count: Number(c.message_count) }]));
    const at = (lo: number, hi: number) => conv.get(`${lo}:${hi}`)!;

    const placed = plan.placed.map((p) => ({ p, conversationId: at(p.lo, p.hi).id, seq: at(p.lo, p.hi).count - p.back }));
    const returning = await this.returningSupported(tx);
    const inserted: InsertedRow[] = await tx.query(
      `INSERT INTO \`message\` (sender, \`to\`, text, update_time, create_time, conversation_id, seq, client_msg_id) VALUES ${placed
        .map(() => '(?, ?, ?, ?, ?, ?, ?, ?)')
        .join(', ')}${returning ? ' RETURNING id, sender, `to`, seq' : ''}`,
      placed.flatMap(({ p, conversationId, seq }) => [
        p.item.senderId,
        p.item.to,
        p.item.text,
        p.item.time,
        p.item.time,
        conversationId,
        seq,
        p.item.clientMsgId ?? null,
      ]),
    );
    const rows: InsertedRow[] = returning
      ? inserted
      : await tx.query(
          `SELECT id, sender, \`to\`, seq FROM \`message\` WHERE ${placed.map(() => '(conversation_id = ? AND seq = ?)').join(' OR ')}`,
          placed.flatMap((x) => [x.conversationId, x.seq]),
        );

    // The last message of each conversation: the one at its counter's new value.
    const lastId = new Map<number, number>();
    for (const x of placed) if (x.p.back === 0) lastId.set(x.conversationId, Number(rows.find((r) => Number(r.seq) === x.seq && pairOf(r) === `${x.p.lo}:${x.p.hi}`)!.id));
    await tx.query(
      `INSERT INTO conversation_member (user_id, friend_id, conversation_id, last_seq, last_message_id, received_count, received_seq) VALUES ${plan.members
        .map(() => '(?, ?, ?, ?, ?, ?, ?)')
        .join(', ')}${d.upsert('user_id, friend_id', {
        last_seq: 'max',
        last_message_id: 'max',
        received_count: 'add',
        received_seq: 'max',
      })}`,
      plan.members.flatMap((m) => {
        const c = at(m.lo, m.hi);
        return [m.userId, m.friendId, c.id, c.count, lastId.get(c.id), m.received, m.received ? c.count - m.receivedBack : 0];
      }),
    );
    const outbox = this.pushDelayMs === undefined ? undefined : planOutbox(plan, this.pushDelayMs);
    if (outbox) {
      await tx.query(
        `INSERT INTO push_job (user_id, friend_id, conversation_id, open_slot, first_seq, last_seq, message_count, stored_at, due_at, available_at, state, attempts) VALUES ${outbox.recipients
          .map(() => "(?, ?, ?, 1, ?, ?, ?, ?, ?, ?, 'pending', 0)")
          .join(', ')}${d.upsert('user_id, friend_id, open_slot', { message_count: 'add', first_seq: 'min', last_seq: 'max' })}`,
        outbox.recipients.flatMap((m) => {
          const c = at(m.lo, m.hi);
          return [m.userId, m.friendId, c.id, c.count - m.firstReceivedBack, c.count - m.receivedBack, m.received, outbox.now, outbox.dueAt, outbox.dueAt];
        }),
      );
    }
    // Past the deadline now, the sender has been told it failed: roll back rather than commit.
    if (Date.now() >= deadline) throw new Expired();
    return rows;
  }

  async findByKeys(keys: readonly { senderId: number; clientMsgId: string }[]): Promise<Map<string, StoredMessage>> {
    if (!keys.length) return new Map();
    const rows: StoredRowLike[] = await this.db.query(
      `${SELECT_STORED} WHERE ${keys.map(() => '(sender = ? AND client_msg_id = ?)').join(' OR ')}`,
      keys.flatMap((k) => [k.senderId, k.clientMsgId]),
    );
    return new Map(rows.map((r) => [idempotencyKey(Number(r.sender), String(r.client_msg_id)), rowToStored(r)]));
  }

  async findStored(items: readonly NewMessage[]): Promise<Map<number, StoredMessage>> {
    const out = new Map<number, StoredMessage>();
    for (const [i, m] of items.entries()) {
      const lo = Math.min(m.senderId, m.to);
      const hi = Math.max(m.senderId, m.to);
      const rows: StoredRowLike[] =
        m.clientMsgId !== undefined
          ? await this.db.query(`${SELECT_STORED} WHERE sender = ? AND client_msg_id = ?`, [m.senderId, m.clientMsgId])
          : await this.db.query(
              `${SELECT_STORED} WHERE conversation_id = (SELECT id FROM conversation WHERE user_lo = ? AND user_hi = ?)
                 AND seq > (SELECT message_count FROM conversation WHERE user_lo = ? AND user_hi = ?) - ?
                 AND sender = ? AND \`to\` = ? AND create_time = ? AND text = ? ORDER BY seq LIMIT 1`,
              [lo, hi, lo, hi, FIND_STORED_WINDOW, m.senderId, m.to, m.time, m.text],
            );
      if (rows[0]) out.set(i, rowToStored(rows[0]));
    }
    return out;
  }

  async close(): Promise<void> {
    // The DataSource belongs to the database module.
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
}

const pairOf = (r: InsertedRow) => `${Math.min(Number(r.sender), Number(r.to))}:${Math.max(Number(r.sender), Number(r.to))}`;

function isConnectionFailure(e: unknown): boolean {
  const code = driverErrorCode(e) ?? '';
  return /^(ECONNRESET|EPIPE|ETIMEDOUT|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT)$/.test(code);
}
