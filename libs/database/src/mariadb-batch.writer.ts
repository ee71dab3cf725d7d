import { createPool, Pool, PoolConnection, PoolOptions } from 'mysql2';
import { boundConnection, settleWithin } from './bounded-query';
import { BatchWriter, driverErrorCode, InsertedRow, OutcomeUnknownError, rowToStored, StoredRowLike } from './batch-writer';
import { BatchPlan, idempotencyKey, NewMessage, OutboxPlan, planOutbox, StoredMessage } from './message-batch';

/** A derived table of `count` rows: the first names the columns, the rest follow by position. */
function valuesTable(columns: readonly string[], count: number): string {
  const first = `SELECT ${columns.map((c) => `? AS ${c}`).join(', ')}`;
  const rest = ` UNION ALL SELECT ${columns.map(() => '?').join(', ')}`;
  return first + rest.repeat(count - 1);
}

const SELECT_STORED = 'SELECT id, sender, `to`, text, create_time, seq, client_msg_id FROM `message`';
/** How far back in a conversation the check after an unknown outcome looks for an unkeyed message. */
const FIND_STORED_WINDOW = 500;

/**
 * The statements of one batch's transaction, in order, with their parameters in one list: the
 * deadline check, START TRANSACTION, the counters, the messages (RETURNING their ids), the
 * members' rows, the push outbox's jobs when push is on (`outbox`), COMMIT. Every read of `conversation` and `message` is a unique-index look-up
 * from the batch's own rows (STRAIGHT_JOIN, FORCE INDEX): an INSERT ... SELECT share-locks what
 * it reads, and a scan would lock every conversation, colliding with every other batch.
 */
export function batchStatements(plan: BatchPlan, deadline: number, outbox?: OutboxPlan): { statements: string[]; params: unknown[] } {
  const params: unknown[] = [deadline * 1000];
  const counters = plan.shares.flatMap((s) => [s.lo, s.hi, s.count]);
  const messages = plan.placed.flatMap((p, o) => [o, p.lo, p.hi, p.back, p.item.senderId, p.item.to, p.item.text, p.item.time, p.item.clientMsgId ?? null]);
  const members = plan.members.flatMap((m) => [m.userId, m.friendId, m.lo, m.hi, m.received, m.receivedBack]);
  params.push(...counters, ...messages, ...members);
  const statements = [
    "SET @chat_batch_ok := (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) < ?)",
    'START TRANSACTION',
    // Plain VALUES in the plan's (lo, hi) order: a derived table here costs MariaDB a temporary
    // table per batch, about a quarter of the batch's CPU. Past the deadline the count is NULL and
    // the statement fails (ER_BAD_NULL_ERROR): nothing runs after it, the batch is rolled back.
    // Strict for this statement whatever the server's sql_mode (a legacy server may run without):
    // otherwise the NULL would become a 0 with a warning, and a new conversation an empty row.
    `SET STATEMENT sql_mode = 'STRICT_ALL_TABLES' FOR INSERT INTO conversation (user_lo, user_hi, message_count)
       VALUES ${plan.shares.map(() => '(?, ?, IF(@chat_batch_ok, ?, NULL))').join(', ')}
       ON DUPLICATE KEY UPDATE message_count = message_count + VALUES(message_count)`,
    `INSERT INTO \`message\` (sender, \`to\`, text, update_time, create_time, conversation_id, seq, client_msg_id)
       SELECT STRAIGHT_JOIN v.s, v.t, v.x, v.tm, v.tm, c.id, c.message_count - v.b, v.k
       FROM (${valuesTable(['o', 'lo', 'hi', 'b', 's', 't', 'x', 'tm', 'k'], plan.placed.length)}) v
       JOIN conversation c FORCE INDEX (uq_conversation_pair) ON c.user_lo = v.lo AND c.user_hi = v.hi
       WHERE @chat_batch_ok ORDER BY v.o
       RETURNING id, sender, \`to\`, seq`,
    `INSERT INTO conversation_member (user_id, friend_id, conversation_id, last_seq, last_message_id, received_count, received_seq)
       SELECT STRAIGHT_JOIN v.u, v.f, c.id, c.message_count, m.id, v.rc, IF(v.rc > 0, c.message_count - v.rb, 0)
       FROM (${valuesTable(['u', 'f', 'lo', 'hi', 'rc', 'rb'], plan.members.length)}) v
       JOIN conversation c FORCE INDEX (uq_conversation_pair) ON c.user_lo = v.lo AND c.user_hi = v.hi
       JOIN \`message\` m FORCE INDEX (uq_message_conversation_seq) ON m.conversation_id = c.id AND m.seq = c.message_count
       WHERE @chat_batch_ok ORDER BY v.u, v.f
       ON DUPLICATE KEY UPDATE last_seq = GREATEST(last_seq, VALUES(last_seq)),
         last_message_id = GREATEST(last_message_id, VALUES(last_message_id)),
         received_count = received_count + VALUES(received_count),
         received_seq = GREATEST(received_seq, VALUES(received_seq))`,
  ];
  if (outbox) {
    // After the counters, in the members' order (user_id, friend_id): the unique key of the job
    // still gathering is locked in the same order by every batch.
    params.push(outbox.now, outbox.dueAt, outbox.dueAt, ...outbox.recipients.flatMap((m) => [m.userId, m.friendId, m.lo, m.hi, m.received, m.receivedBack, m.firstReceivedBack]));
    statements.push(
      `INSERT INTO push_job (user_id, friend_id, conversation_id, open_slot, first_seq, last_seq, message_count, stored_at, due_at, available_at, state, attempts)
         SELECT STRAIGHT_JOIN v.u, v.f, c.id, 1, c.message_count - v.fb, c.message_count - v.rb, v.rc, ?, ?, ?, 'pending', 0
         FROM (${valuesTable(['u', 'f', 'lo', 'hi', 'rc', 'rb', 'fb'], outbox.recipients.length)}) v
         JOIN conversation c FORCE INDEX (uq_conversation_pair) ON c.user_lo = v.lo AND c.user_hi = v.hi
         WHERE @chat_batch_ok ORDER BY v.u, v.f
         ON DUPLICATE KEY UPDATE push_job.message_count = push_job.message_count + VALUES(message_count),
           push_job.first_seq = LEAST(push_job.first_seq, VALUES(first_seq)),
           push_job.last_seq = GREATEST(push_job.last_seq, VALUES(last_seq))`,
    );
  }
  statements.push('COMMIT');
  return { statements, params };
}

/**
 * Writes a batch in one round trip: MariaDB (10.5+) takes the whole transaction as one
 * multi-statement query, because every value a statement needs comes from the ones before it
 * inside the database: the counters' new values give the positions (INSERT ... SELECT), RETURNING
 * gives the ids back, and the members' rows join the new last message.
 *
 * The deadline is checked by the database itself, once, when the batch reaches it: a batch held
 * up on the way (a stalled network) and delivered after the deadline writes nothing. Every
 * statement is guarded by that one check, so positions stay gapless.
 *
 * It has a pool of its own (multi-statements are on there and nowhere else), one connection per
 * writer shard.
 */
export class MariaDbBatchWriter implements BatchWriter {
  private readonly pool: Pool;

  constructor(
    options: PoolOptions,
    connections: number,
    /**
     * Longest a call may wait for a connection, and a statement for its answer: then the caller
     * is answered (for a batch: outcome unknown), the connection discarded, the shard free again.
     */
    private readonly abandonAfterMs: number,
    /** Push on: each batch writes its outbox jobs, due this long after it is stored. */
    private readonly pushDelayMs?: number,
  ) {
    this.pool = createPool({ ...options, multipleStatements: true, connectionLimit: connections, maxIdle: connections, queueLimit: 1000 });
    // A connection that fails in the pool is replaced at the next getConnection; nothing to do.
    // Every query on a connection of this pool settles within the timeout (see boundConnection).
    this.pool.on('connection', (c) => boundConnection(c.on('error', () => undefined), abandonAfterMs));
  }

  async write(plan: BatchPlan, deadline: number): Promise<InsertedRow[] | 'expired'> {
    const outbox = this.pushDelayMs === undefined ? undefined : planOutbox(plan, this.pushDelayMs);
    const { statements, params } = batchStatements(plan, deadline, outbox);
    const sql = statements.join(';\n');

    // Failing to get a connection leaves nothing behind: that error is certain.
    const conn = await this.connection();
    try {
      const results = (await query(conn, sql, params)) as unknown[];
      const rows = results[3] as InsertedRow[];
      return rows.length ? rows : 'expired';
    } catch (e) {
      if (driverErrorCode(e)?.startsWith('ER_')) {
        // The server refused a statement: the rest of the query (COMMIT included) did not run.
        await query(conn, 'ROLLBACK', []).catch(() => conn.destroy());
        // The deadline guard of the counters (the only NULL the batch can hold).
        if (driverErrorCode(e) === 'ER_BAD_NULL_ERROR') return 'expired';
        throw e;
      }
      // The connection failed or timed out with the batch on it: committed or not, nobody can
      // say yet. It is not used again (a timed-out one was discarded already).
      conn.destroy();
      throw new OutcomeUnknownError(e);
    } finally {
      // A no-op on a destroyed connection (it left the pool).
      conn.release();
    }
  }

  async findByKeys(keys: readonly { senderId: number; clientMsgId: string }[]): Promise<Map<string, StoredMessage>> {
    if (!keys.length) return new Map();
    const rows = (await this.run(
      `${SELECT_STORED} WHERE ${keys.map(() => '(sender = ? AND client_msg_id = ?)').join(' OR ')}`,
      keys.flatMap((k) => [k.senderId, k.clientMsgId]),
    )) as StoredRowLike[];
    return new Map(rows.map((r) => [idempotencyKey(Number(r.sender), String(r.client_msg_id)), rowToStored(r)]));
  }

  async findStored(items: readonly NewMessage[]): Promise<Map<number, StoredMessage>> {
    const out = new Map<number, StoredMessage>();
    const keyed = items.flatMap((m, i) => (m.clientMsgId === undefined ? [] : [{ i, senderId: m.senderId, clientMsgId: m.clientMsgId }]));
    const byKey = await this.findByKeys(keyed);
    for (const k of keyed) {
      const found = byKey.get(idempotencyKey(k.senderId, k.clientMsgId));
      if (found) out.set(k.i, found);
    }
    for (const [i, m] of items.entries()) {
      if (m.clientMsgId !== undefined) continue;
      const rows = (await this.run(
        `${SELECT_STORED} WHERE conversation_id = (SELECT id FROM conversation WHERE user_lo = ? AND user_hi = ?)
           AND seq > (SELECT message_count FROM conversation WHERE user_lo = ? AND user_hi = ?) - ?
           AND sender = ? AND \`to\` = ? AND create_time = ? AND text = ? ORDER BY seq LIMIT 1`,
        [
          ...[Math.min(m.senderId, m.to), Math.max(m.senderId, m.to)],
          ...[Math.min(m.senderId, m.to), Math.max(m.senderId, m.to)],
          FIND_STORED_WINDOW,
          m.senderId,
          m.to,
          m.time,
          m.text,
        ],
      )) as StoredRowLike[];
      if (rows[0]) out.set(i, rowToStored(rows[0]));
    }
    return out;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.pool.end(() => resolve()));
  }

  /** A connection of the pool, within the timeout (one that comes later goes back to the pool). */
  private connection(): Promise<PoolConnection> {
    const getting = new Promise<PoolConnection>((resolve, reject) => this.pool.getConnection((err, conn) => (err ? reject(err) : resolve(conn))));
    return settleWithin(getting, this.abandonAfterMs, 'getting a connection for the message store', (late) => late.release());
  }

  private async run(sql: string, params: unknown[]): Promise<unknown> {
    const conn = await this.connection();
    try {
      return await query(conn, sql, params);
    } catch (e) {
      conn.destroy();
      throw e;
    } finally {
      // A no-op on a destroyed connection (it left the pool).
      conn.release();
    }
  }
}

function query(conn: PoolConnection, sql: string, params: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => conn.query(sql, params, (err, result) => (err ? reject(err) : resolve(result))));
}
