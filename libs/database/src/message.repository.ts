import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowToStored, StoredRowLike } from './batch-writer';
import { StoredMessage } from './message-batch';
import { displayName } from './user.repository';

export type { NewMessage, StoredMessage, StoreResult } from './message-batch';

/** A stored message with its sender's display name, as sockets get it. */
export interface DeliverableMessage extends StoredMessage {
  seq: number;
  senderName: string;
}

const SELECT_DELIVERABLE =
  'SELECT m.id, m.sender, m.`to`, m.text, m.create_time, m.seq, m.client_msg_id, u.name AS sender_name, u.phone AS sender_phone ' +
  'FROM `message` m LEFT JOIN `user` u ON u.id = m.sender';

/**
 * What the gateway reads to put messages on sockets: positions of one conversation, in order.
 * Both ends of every range are bound, so each read is a seek on (conversation_id, seq) (MariaDB
 * scans the whole conversation for an open-ended range with ORDER BY ... LIMIT). The statements
 * are named in MESSAGE_QUERIES below, so a reviewer reads each whole.
 */
const OF_PAIR = 'm.conversation_id = (SELECT id FROM conversation WHERE user_lo = ? AND user_hi = ?)';

export const MESSAGE_QUERIES = {
  /** Every message of a conversation between two positions (gap reads, catch-up). */
  findRange: `${SELECT_DELIVERABLE} WHERE ${OF_PAIR} AND m.seq >= ? AND m.seq <= ? ORDER BY m.seq LIMIT ?`,
  /** One user's messages in a conversation between two positions (the offline backlog: the friend's). */
  findRangeFrom: `${SELECT_DELIVERABLE} WHERE ${OF_PAIR} AND m.seq >= ? AND m.seq <= ? AND m.sender = ? ORDER BY m.seq LIMIT ?`,
} as const;

type DeliverableRow = StoredRowLike & { seq: number | string; sender_name: string | null; sender_phone: string | null };

const toDeliverable = (r: DeliverableRow): DeliverableMessage => ({
  ...rowToStored(r),
  seq: Number(r.seq),
  senderName: displayName(r.sender_name, r.sender_phone),
});

const pair = (a: number, b: number): [number, number] => (a < b ? [a, b] : [b, a]);

@Injectable()
export class MessageRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Messages between two users with positions from..to (inclusive), in order, at most `limit`. */
  async findRange(userA: number, userB: number, fromSeq: number, toSeq: number, limit: number): Promise<DeliverableMessage[]> {
    const rows: DeliverableRow[] = await this.db.query(MESSAGE_QUERIES.findRange, [...pair(userA, userB), fromSeq, toSeq, limit]);
    return rows.map(toDeliverable);
  }

  /** The messages `senderId` sent to the other user, positions from..to (inclusive), in order, at most `limit`. */
  async findRangeFrom(senderId: number, otherId: number, fromSeq: number, toSeq: number, limit: number): Promise<DeliverableMessage[]> {
    const rows: DeliverableRow[] = await this.db.query(MESSAGE_QUERIES.findRangeFrom, [...pair(senderId, otherId), fromSeq, toSeq, senderId, limit]);
    return rows.map(toDeliverable);
  }
}
