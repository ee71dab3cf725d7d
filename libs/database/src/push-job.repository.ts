import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { displayName } from './user.repository';
import { affectedRows } from './affected-rows';
import { placeholders, SqlDialect, sqlDialect } from './sql-dialect';

export type PushJobState = 'pending' | 'sending' | 'sent' | 'skipped' | 'dead';

/** A job as a worker holds it after claiming it. */
export interface ClaimedPushJob {
  id: number;
  userId: number;
  friendId: number;
  conversationId: number;
  firstSeq: number;
  lastSeq: number;
  messageCount: number;
  storedAt: number;
  dueAt: number;
  /** Tries, this one included (a claim counts one: a worker killed mid-send used one up). */
  attempts: number;
  leaseUntil: number;
}

/** What a notification is made of, read when it is about to be sent. */
export interface NotificationFacts {
  /** How far the recipient's devices have received the conversation (delivered_seq). */
  deliveredSeq: number;
  /** The friend's messages of the job that no device has received, in order. */
  messages: { id: number; text: string }[];
  friendName: string;
  /** The recipient's total unread. */
  badge: number;
}

export interface PushJobStatus {
  id: number;
  state: PushJobState;
  userId: number;
  friendId: number;
  firstSeq: number;
  lastSeq: number;
  messageCount: number;
  storedAt: number;
  dueAt: number;
  availableAt: number | null;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  outcome: string | null;
  sentAt: number | null;
  sentCount: number | null;
}

type JobRow = Record<string, string | number | null>;
const num = (v: string | number | null | undefined): number => Number(v ?? 0);
const numOrNull = (v: string | number | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

/** How a job ends: sent (a 2xx), skipped (nothing to send), or given up (dead). */
export type JobEnd = { state: 'sent'; at: number; count: number } | { state: 'skipped'; at: number; outcome: string } | { state: 'dead'; at: number; error: string };

/** Jobs per UNION statement (SQLite allows 500 compound parts). */
const UNION_MAX = 100;
const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const JOB_COLUMNS =
  'id, user_id, friend_id, conversation_id, first_seq, last_seq, message_count, stored_at, due_at, available_at, state, attempts, lease_owner, lease_until, last_error, outcome, sent_at, sent_count';

/** The push outbox (push_job): named queries of the worker (claim, finish) and of the admin CLI. */
@Injectable()
export class PushJobRepository {
  private readonly dialect: SqlDialect;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.dialect = sqlDialect(db);
  }

  /**
   * Claims up to `limit` jobs that are due (or whose holder's lease ran out) for `owner` until
   * `now + leaseMs`. On MySQL/MariaDB concurrent workers skip each other's locked rows (SKIP
   * LOCKED); SQLite has one writer, so a plain transaction is the claim. A claimed job gathers no
   * more messages (open_slot NULL): later ones open a job of their own.
   */
  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedPushJob[]> {
    const leaseUntil = now + leaseMs;
    const claim = async (tx: EntityManager) => {
      const rows: { id: number | string }[] = await tx.query(
        `SELECT id FROM push_job WHERE available_at <= ? ORDER BY available_at LIMIT ?${this.dialect.mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
        [now, limit],
      );
      if (!rows.length) return [];
      const ids = rows.map((r) => Number(r.id));
      const list = placeholders(ids);
      await tx.query(
        `UPDATE push_job SET state = 'sending', open_slot = NULL, attempts = attempts + 1, lease_owner = ?, lease_until = ?, available_at = ?, updated_at = ? WHERE id IN (${list})`,
        [owner, leaseUntil, leaseUntil, now, ...ids],
      );
      const claimed: JobRow[] = await tx.query(`SELECT ${JOB_COLUMNS} FROM push_job WHERE id IN (${list}) ORDER BY due_at`, ids);
      return claimed.map(toClaimed);
    };
    return this.dialect.mysql ? this.db.transaction('READ COMMITTED', claim) : this.db.transaction(claim);
  }

  /**
   * The facts of the claimed jobs' notifications, by job id, read together: for each job, the
   * friend's messages of the job past the delivered position, read in one statement with that
   * position so the two agree; the friends' names and the recipients' total unread, one
   * statement each for the whole batch.
   */
  async factsOf(jobs: readonly ClaimedPushJob[]): Promise<Map<number, NotificationFacts>> {
    const facts = new Map<number, NotificationFacts>();
    if (!jobs.length) return facts;
    const friendIds = [...new Set(jobs.map((j) => j.friendId))];
    const userIds = [...new Set(jobs.map((j) => j.userId))];
    const [messages, friends, badges] = await Promise.all([
      Promise.all(chunks(jobs, UNION_MAX).map((part) => this.unreachedMessages(part))).then((r) => r.flat()),
      this.db.query(`SELECT id, name, phone FROM \`user\` WHERE id IN (${placeholders(friendIds)})`, friendIds) as Promise<{ id: number | string; name: string | null; phone: string | null }[]>,
      this.db.query(
        `SELECT user_id, COALESCE(SUM(received_count - read_count), 0) AS n FROM conversation_member WHERE user_id IN (${placeholders(userIds)}) GROUP BY user_id`,
        userIds,
      ) as Promise<{ user_id: number | string; n: number | string }[]>,
    ]);
    const names = new Map(friends.map((f) => [Number(f.id), displayName(f.name, f.phone)]));
    const unread = new Map(badges.map((b) => [Number(b.user_id), num(b.n)]));
    for (const job of jobs) {
      facts.set(job.id, { deliveredSeq: 0, messages: [], friendName: names.get(job.friendId) ?? displayName(null, null), badge: unread.get(job.userId) ?? 0 });
    }
    const seqs = new Map<number, number>();
    for (const m of messages) {
      const f = facts.get(Number(m.job_id));
      if (!f) continue;
      f.deliveredSeq = num(m.delivered_seq);
      if (m.id === null) continue;
      f.messages.push({ id: Number(m.id), text: m.text ?? '' });
      seqs.set(Number(m.id), num(m.seq));
    }
    for (const f of facts.values()) f.messages.sort((a, b) => (seqs.get(a.id) ?? 0) - (seqs.get(b.id) ?? 0));
    return facts;
  }

  private unreachedMessages(jobs: readonly ClaimedPushJob[]): Promise<{ job_id: number | string; delivered_seq: number | string; id: number | string | null; text: string | null; seq: number | string | null }[]> {
    const one = `SELECT ? AS job_id, cm.delivered_seq, m.id, m.text, m.seq FROM conversation_member cm
           LEFT JOIN \`message\` m ON m.conversation_id = ? AND m.seq >= ${this.dialect.greatest('?', 'cm.delivered_seq + 1')} AND m.seq <= ? AND m.sender = cm.friend_id
           WHERE cm.user_id = ? AND cm.friend_id = ?`;
    return this.db.query(
      jobs.map(() => one).join('\nUNION ALL\n'),
      jobs.flatMap((j) => [j.id, j.conversationId, j.firstSeq, j.lastSeq, j.userId, j.friendId]),
    );
  }

  /**
   * Ends the jobs the worker still holds (its lease, by owner) in one transaction; returns the ids
   * recorded. A job missing from the answer had its lease pass to another worker meanwhile, who
   * then owns the outcome.
   */
  async finishMany(owner: string, ends: readonly { id: number; end: JobEnd }[]): Promise<Set<number>> {
    if (!ends.length) return new Set();
    const record = async (tx: EntityManager): Promise<Set<number>> => {
      const ids = ends.map((e) => e.id);
      const held: { id: number | string }[] = await tx.query(
        `SELECT id FROM push_job WHERE id IN (${placeholders(ids)}) AND state = 'sending' AND lease_owner = ?${this.dialect.mysql ? ' FOR UPDATE' : ''}`,
        [...ids, owner],
      );
      const ours = new Set(held.map((r) => Number(r.id)));
      const mine = ends.filter((e) => ours.has(e.id));
      if (!mine.length) return ours;
      const columns: Record<string, [number, string | number][]> = { state: [], sent_at: [], sent_count: [], outcome: [], last_error: [], updated_at: [] };
      for (const { id, end } of mine) {
        columns.state.push([id, end.state]);
        columns.updated_at.push([id, end.at]);
        if (end.state === 'sent') {
          columns.sent_at.push([id, end.at]);
          columns.sent_count.push([id, end.count]);
          columns.outcome.push([id, 'sent']);
        } else if (end.state === 'skipped') {
          columns.outcome.push([id, end.outcome]);
        } else {
          columns.last_error.push([id, end.error.slice(0, 255)]);
          columns.outcome.push([id, 'gave up']);
        }
      }
      const sets: string[] = [];
      const params: (string | number)[] = [];
      for (const [column, values] of Object.entries(columns)) {
        if (!values.length) continue;
        sets.push(`${column} = CASE id ${values.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${column} END`);
        params.push(...values.flat());
      }
      const mineIds = mine.map((e) => e.id);
      await tx.query(
        `UPDATE push_job SET ${sets.join(', ')}, available_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id IN (${placeholders(mineIds)})`,
        [...params, ...mineIds],
      );
      return ours;
    };
    return this.dialect.mysql ? this.db.transaction('READ COMMITTED', record) : this.db.transaction(record);
  }

  /** Gives a job back for another try at `availableAt`. */
  async retryLater(id: number, owner: string, error: string, availableAt: number, now: number): Promise<boolean> {
    return (
      (await affectedRows(
        this.db,
        `UPDATE push_job SET state = 'pending', last_error = ?, available_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?`,
        [error.slice(0, 255), availableAt, now, id, owner],
      )) > 0
    );
  }

  /**
   * Deletes up to `limit` finished jobs (sent, skipped, dead: no longer available) whose message
   * was stored before `storedBefore`, oldest first, through the available_at index. Returns how
   * many went.
   */
  async pruneFinished(storedBefore: number, limit: number): Promise<number> {
    return affectedRows(
      this.db,
      this.dialect.mysql
        ? 'DELETE FROM push_job WHERE available_at IS NULL AND stored_at < ? ORDER BY id LIMIT ?'
        : 'DELETE FROM push_job WHERE id IN (SELECT id FROM push_job WHERE available_at IS NULL AND stored_at < ? ORDER BY id LIMIT ?)',
      [storedBefore, limit],
    );
  }

  /** When the next job falls due (or its holder's lease ends); null when none waits. */
  async nextDueAt(): Promise<number | null> {
    const rows: { at: number | string | null }[] = await this.db.query('SELECT MIN(available_at) AS at FROM push_job WHERE available_at IS NOT NULL');
    return numOrNull(rows[0]?.at);
  }

  /** Jobs waiting or being sent (for the gauge and readiness details). */
  async backlog(now: number): Promise<{ due: number; waiting: number }> {
    const rows: { due: number | string | null; waiting: number | string | null }[] = await this.db.query(
      'SELECT SUM(CASE WHEN available_at <= ? THEN 1 ELSE 0 END) AS due, COUNT(*) AS waiting FROM push_job WHERE available_at IS NOT NULL',
      [now],
    );
    return { due: num(rows[0]?.due), waiting: num(rows[0]?.waiting) };
  }

  /** The message (recipient, conversation, position) and every job that covers it, oldest first. */
  async statusOfMessage(messageId: number): Promise<{ message: { id: number; senderId: number; to: number; seq: number | null }; jobs: PushJobStatus[]; deliveredSeq: number } | null> {
    const rows: { id: number | string; sender: number | string; to: number | string; seq: number | string | null; conversation_id: number | string | null }[] =
      await this.db.query('SELECT id, sender, `to`, seq, conversation_id FROM `message` WHERE id = ?', [messageId]);
    const m = rows[0];
    if (!m) return null;
    const message = { id: Number(m.id), senderId: Number(m.sender), to: Number(m.to), seq: numOrNull(m.seq) };
    const member: { delivered_seq: number | string }[] = await this.db.query('SELECT delivered_seq FROM conversation_member WHERE user_id = ? AND friend_id = ?', [
      message.to,
      message.senderId,
    ]);
    if (message.seq === null || m.conversation_id === null) return { message, jobs: [], deliveredSeq: num(member[0]?.delivered_seq) };
    const jobs: JobRow[] = await this.db.query(
      `SELECT ${JOB_COLUMNS} FROM push_job WHERE conversation_id = ? AND user_id = ? AND last_seq >= ? AND first_seq <= ? ORDER BY id`,
      [m.conversation_id, message.to, message.seq, message.seq],
    );
    return { message, jobs: jobs.map(toStatus), deliveredSeq: num(member[0]?.delivered_seq) };
  }

}

function toClaimed(r: JobRow): ClaimedPushJob {
  return {
    id: num(r.id),
    userId: num(r.user_id),
    friendId: num(r.friend_id),
    conversationId: num(r.conversation_id),
    firstSeq: num(r.first_seq),
    lastSeq: num(r.last_seq),
    messageCount: num(r.message_count),
    storedAt: num(r.stored_at),
    dueAt: num(r.due_at),
    attempts: num(r.attempts),
    leaseUntil: num(r.lease_until),
  };
}

function toStatus(r: JobRow): PushJobStatus {
  return {
    id: num(r.id),
    state: String(r.state) as PushJobState,
    userId: num(r.user_id),
    friendId: num(r.friend_id),
    firstSeq: num(r.first_seq),
    lastSeq: num(r.last_seq),
    messageCount: num(r.message_count),
    storedAt: num(r.stored_at),
    dueAt: num(r.due_at),
    availableAt: numOrNull(r.available_at),
    attempts: num(r.attempts),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: numOrNull(r.lease_until),
    lastError: (r.last_error as string | null) ?? null,
    outcome: (r.outcome as string | null) ?? null,
    sentAt: numOrNull(r.sent_at),
    sentCount: numOrNull(r.sent_count),
  };
}
