import type { BatchPlan, NewMessage, StoredMessage } from './message-batch';

/** A new row as a writer reads it back: enough to match it to its item (see matchInserted). */
export interface InsertedRow {
  id: number;
  sender: number;
  to: number;
  seq: number;
}

/**
 * Writes one planned batch in one transaction: the conversations' counters, the messages, the
 * members' rows. Two implementations: one round trip on MariaDB, step by step on MySQL and SQLite.
 */
export interface BatchWriter {
  /**
   * Writes the plan's new messages, or nothing at all when the database starts on the batch
   * after `deadline` (epoch ms): then 'expired'. A send refused for time is never stored later.
   */
  write(plan: BatchPlan, deadline: number): Promise<InsertedRow[] | 'expired'>;
  /** Rows already stored under these (sender, clientMsgId) keys, by `sender:clientMsgId`. */
  findByKeys(keys: readonly { senderId: number; clientMsgId: string }[]): Promise<Map<string, StoredMessage>>;
  /**
   * After a batch whose outcome is unknown (the connection failed after the batch was sent):
   * the stored row of each item that made it, by item index. Items with a clientMsgId are found
   * by it; others by sender, recipient, receive time and text.
   */
  findStored(items: readonly NewMessage[]): Promise<Map<number, StoredMessage>>;
  close(): Promise<void>;
}

/** Errors worth retrying a whole batch for: lock waits, deadlocks, SQLite's busy. */
export const RETRYABLE_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY']);
/** A racing writer stored one of the batch's clientMsgIds first: look them up and write the rest. */
export const DUPLICATE_KEY_CODES = new Set(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE']);

export function driverErrorCode(e: unknown): string | undefined {
  const err = e as { code?: string; driverError?: { code?: string } };
  return err?.driverError?.code ?? err?.code;
}

/**
 * The connection failed after the batch reached it (reset, timeout): the database may or may
 * not have committed. Everything else (a refused statement, an unreachable server) means it did not.
 */
export class OutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`the database may or may not have stored the batch: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'OutcomeUnknownError';
  }
}

export type StoredRowLike = {
  id: number | string;
  sender: number | string;
  to: number | string;
  text: string | null;
  create_time: string | null;
  seq?: number | string | null;
  client_msg_id?: string | null;
};

export function rowToStored(r: StoredRowLike): StoredMessage {
  const m: StoredMessage = {
    id: Number(r.id),
    senderId: Number(r.sender),
    to: Number(r.to),
    text: r.text ?? '',
    time: r.create_time ?? '',
  };
  if (r.seq !== null && r.seq !== undefined) m.seq = Number(r.seq);
  if (r.client_msg_id) m.clientMsgId = r.client_msg_id;
  return m;
}
