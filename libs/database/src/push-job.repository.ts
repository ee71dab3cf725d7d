import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { displayName } from './user.repository';
import { affectedRows } from './affected-rows';

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

const JOB_COLUMNS =
  'id, user_id, friend_id, conversation_id, first_seq, last_seq, message_count, stored_at, due_at, available_at, state, attempts, lease_owner, lease_until, last_error, outcome, sent_at, sent_count';

/** The push outbox (push_job): named queries of the worker (claim, finish) and of the admin CLI. */
@Injectable()
export class PushJobRepository {
  private readonly mysql: boolean;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.mysql = db.options.type === 'mysql' || db.options.type === 'mariadb';
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
        `SELECT id FROM push_job WHERE available_at <= ? ORDER BY available_at LIMIT ?${this.mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
        [now, limit],
      );
      if (!rows.length) return [];
      const ids = rows.map((r) => Number(r.id));
      const list = ids.map(() => '?').join(', ');
      await tx.query(
        `UPDATE push_job SET state = 'sending', open_slot = NULL, attempts = attempts + 1, lease_owner = ?, lease_until = ?, available_at = ?, updated_at = ? WHERE id IN (${list})`,
        [owner, leaseUntil, leaseUntil, now, ...ids],
      );
      const claimed: JobRow[] = await tx.query(`SELECT ${JOB_COLUMNS} FROM push_job WHERE id IN (${list}) ORDER BY due_at`, ids);
      return claimed.map(toClaimed);
    };
    return this.mysql ? this.db.transaction('READ COMMITTED', claim) : this.db.transaction(claim);
  }

  /** The facts of a claimed job's notification, read together. */
  async facts(job: ClaimedPushJob): Promise<NotificationFacts> {
    // The friend's messages of the job past the delivered position: read in one statement with
    // it, so the position and the messages agree.
    const [messages, friend, badge] = await Promise.all([
      this.db.query(
        `SELECT cm.delivered_seq, m.id, m.text FROM conversation_member cm
           LEFT JOIN \`message\` m ON m.conversation_id = ? AND m.seq >= GREATEST(?, cm.delivered_seq + 1) AND m.seq <= ? AND m.sender = cm.friend_id
           WHERE cm.user_id = ? AND cm.friend_id = ? ORDER BY m.seq`.replace('GREATEST', this.mysql ? 'GREATEST' : 'MAX'),
        [job.conversationId, job.firstSeq, job.lastSeq, job.userId, job.friendId],
      ) as Promise<{ delivered_seq: number | string; id: number | string | null; text: string | null }[]>,
      this.db.query('SELECT name, phone FROM `user` WHERE id = ?', [job.friendId]) as Promise<{ name: string | null; phone: string | null }[]>,
      this.db.query('SELECT COALESCE(SUM(received_count - read_count), 0) AS n FROM conversation_member WHERE user_id = ?', [job.userId]) as Promise<
        { n: number | string }[]
      >,
    ]);
    return {
      deliveredSeq: num(messages[0]?.delivered_seq),
      messages: messages.filter((m) => m.id !== null).map((m) => ({ id: Number(m.id), text: m.text ?? '' })),
      friendName: displayName(friend[0]?.name, friend[0]?.phone),
      badge: num(badge[0]?.n),
    };
  }

  /**
   * Ends a job the worker still holds (its lease, by owner): false when the lease went to another
   * worker meanwhile, who then owns the outcome.
   */
  async finish(id: number, owner: string, end: { state: 'sent'; at: number; count: number } | { state: 'skipped'; at: number; outcome: string } | { state: 'dead'; at: number; error: string }): Promise<boolean> {
    const [sql, params] =
      end.state === 'sent'
        ? ['sent_at = ?, sent_count = ?, outcome = ?', [end.at, end.count, 'sent']]
        : end.state === 'skipped'
          ? ['outcome = ?', [end.outcome]]
          : ['last_error = ?, outcome = ?', [end.error.slice(0, 255), 'gave up']];
    return (
      (await affectedRows(
        this.db,
        `UPDATE push_job SET state = ?, ${sql}, available_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?`,
        [end.state, ...params, end.at, id, owner],
      )) > 0
    );
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
      this.mysql
        ? 'DELETE FROM push_job WHERE available_at IS NULL AND stored_at < ? ORDER BY id LIMIT ?'
        : 'DELETE FROM push_job WHERE id IN (SELECT id FROM push_job WHERE available_at IS NULL AND stored_at < ? ORDER BY id LIMIT ?)',
      [storedBefore, limit],
    );
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
