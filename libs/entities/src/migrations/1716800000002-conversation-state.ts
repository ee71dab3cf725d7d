import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from './dialect';

/**
 * Per-member conversation state: for each conversation and each of its two users, how far the
 * user's devices have received the friend's messages (delivered position) and how far the user
 * has read (read position), with the counts that make unread exact, and the conversation's last
 * message for the conversation list.
 *
 * Delivery is confirmed per conversation (one position) instead of per message (the `pending`
 * flag), so its index goes; the column stays for the old schema's sake, and `down` writes it back
 * from the positions. Back-fill: rows the old server wrote were delivered long ago and count as
 * delivered and read; rows the suite wrote count as delivered up to the first still pending one,
 * and as read as far as delivered (nothing marks reads before this migration).
 */
export class ConversationState1716800000002 implements MigrationInterface {
  name = 'ConversationState1716800000002';

  async up(q: QueryRunner): Promise<void> {
    const mysql = isMysql(q);
    await q.query(
      `CREATE TABLE conversation_member (
        user_id int NOT NULL,
        friend_id int NOT NULL,
        conversation_id int NOT NULL,
        last_seq int NOT NULL DEFAULT 0,
        last_message_id int NOT NULL DEFAULT 0,
        received_count int NOT NULL DEFAULT 0,
        received_seq int NOT NULL DEFAULT 0,
        delivered_seq int NOT NULL DEFAULT 0,
        read_seq int NOT NULL DEFAULT 0,
        read_count int NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, friend_id)
      )${mysql ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : ''}`,
    );
    await q.query('CREATE INDEX idx_member_recent ON conversation_member (user_id, last_message_id)');
    await q.query('CREATE INDEX idx_member_conversation ON conversation_member (conversation_id)');

    // Two members per conversation (one for a conversation with oneself: UNION removes the copy).
    await q.query(
      `INSERT INTO conversation_member (user_id, friend_id, conversation_id, last_seq, last_message_id, received_count, received_seq, delivered_seq)
       SELECT p.user_id, p.friend_id, c.id, c.message_count,
         COALESCE((SELECT m.id FROM \`message\` m WHERE m.conversation_id = c.id AND m.seq = c.message_count), 0),
         (SELECT COUNT(*) FROM \`message\` m WHERE m.conversation_id = c.id AND m.\`to\` = p.user_id AND m.sender = p.friend_id),
         COALESCE((SELECT MAX(m.seq) FROM \`message\` m WHERE m.conversation_id = c.id AND m.\`to\` = p.user_id AND m.sender = p.friend_id), 0),
         COALESCE((SELECT MIN(m.seq) - 1 FROM \`message\` m
                   WHERE m.conversation_id = c.id AND m.\`to\` = p.user_id AND m.sender = p.friend_id AND m.pending = 1), c.message_count)
       FROM conversation c
       JOIN (SELECT id, user_lo AS user_id, user_hi AS friend_id FROM conversation
             UNION SELECT id, user_hi, user_lo FROM conversation) p ON p.id = c.id`,
    );
    await q.query(
      `UPDATE conversation_member SET read_seq = delivered_seq, read_count = (
         SELECT COUNT(*) FROM \`message\` m WHERE m.conversation_id = conversation_member.conversation_id
           AND m.\`to\` = conversation_member.user_id AND m.sender = conversation_member.friend_id
           AND m.seq <= conversation_member.delivered_seq)`,
    );
    await q.query(mysql ? 'ALTER TABLE `message` DROP INDEX idx_message_pending' : 'DROP INDEX idx_message_pending');
  }

  async down(q: QueryRunner): Promise<void> {
    // What no device has received yet is pending again, as the previous release knows it.
    await q.query(
      `UPDATE \`message\` SET pending = 1 WHERE EXISTS (
         SELECT 1 FROM conversation_member cm WHERE cm.conversation_id = \`message\`.conversation_id
           AND cm.user_id = \`message\`.\`to\` AND cm.friend_id = \`message\`.sender AND \`message\`.seq > cm.delivered_seq)`,
    );
    await q.query('CREATE INDEX idx_message_pending ON `message` (`to`, pending, id)');
    await q.query('DROP TABLE conversation_member');
  }
}
