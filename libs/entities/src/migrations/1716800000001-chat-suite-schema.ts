import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from './dialect';

/**
 * Additive changes for the suite: utf8mb4 text, per-conversation position and counter,
 * idempotency key and offline flag, with their indexes. Existing rows are back-filled: they get
 * their conversation and position in legacy order (create_time, then id) and count as delivered.
 */
export class ChatSuiteSchema1716800000001 implements MigrationInterface {
  name = 'ChatSuiteSchema1716800000001';

  async up(q: QueryRunner): Promise<void> {
    const mysql = isMysql(q);
    if (mysql) {
      // Old tables were created without a charset (utf8mb3 or latin1): emoji need utf8mb4.
      await q.query('ALTER TABLE `message` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
      await q.query('ALTER TABLE `message` MODIFY text varchar(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL');
      await q.query('ALTER TABLE `user` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
      await q.query('ALTER TABLE `user` MODIFY name varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL');
      await q.query(
        `CREATE TABLE conversation (
          id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
          user_lo int NOT NULL,
          user_hi int NOT NULL,
          message_count int NOT NULL DEFAULT 0,
          UNIQUE KEY uq_conversation_pair (user_lo, user_hi)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      );
      await q.query(
        `ALTER TABLE \`message\`
          ADD COLUMN conversation_id int NULL,
          ADD COLUMN seq int NULL,
          ADD COLUMN client_msg_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
          ADD COLUMN pending tinyint NOT NULL DEFAULT 0`,
      );
      await q.query(
        `INSERT INTO conversation (user_lo, user_hi, message_count)
         SELECT LEAST(sender, \`to\`), GREATEST(sender, \`to\`), COUNT(*) FROM \`message\`
         GROUP BY LEAST(sender, \`to\`), GREATEST(sender, \`to\`)`,
      );
      await q.query(
        `UPDATE \`message\` m JOIN conversation c
           ON c.user_lo = LEAST(m.sender, m.\`to\`) AND c.user_hi = GREATEST(m.sender, m.\`to\`)
         SET m.conversation_id = c.id`,
      );
      await q.query(
        `UPDATE \`message\` m JOIN (
           SELECT id, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY create_time, id) AS rn FROM \`message\`
         ) r ON r.id = m.id
         SET m.seq = r.rn`,
      );
      await q.query(
        `ALTER TABLE \`message\`
          ADD UNIQUE INDEX uq_message_conversation_seq (conversation_id, seq),
          ADD UNIQUE INDEX uq_message_sender_client (sender, client_msg_id),
          ADD INDEX idx_message_pending (\`to\`, pending, id)`,
      );
      return;
    }
    await q.query(
      `CREATE TABLE conversation (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_lo int NOT NULL,
        user_hi int NOT NULL,
        message_count int NOT NULL DEFAULT 0
      )`,
    );
    await q.query('CREATE UNIQUE INDEX uq_conversation_pair ON conversation (user_lo, user_hi)');
    await q.query('ALTER TABLE `message` ADD COLUMN conversation_id int NULL');
    await q.query('ALTER TABLE `message` ADD COLUMN seq int NULL');
    await q.query('ALTER TABLE `message` ADD COLUMN client_msg_id varchar(64) NULL');
    await q.query('ALTER TABLE `message` ADD COLUMN pending tinyint NOT NULL DEFAULT 0');
    await q.query(
      `INSERT INTO conversation (user_lo, user_hi, message_count)
       SELECT MIN(sender, \`to\`), MAX(sender, \`to\`), COUNT(*) FROM \`message\`
       GROUP BY MIN(sender, \`to\`), MAX(sender, \`to\`)`,
    );
    await q.query(
      `UPDATE \`message\` SET conversation_id = (
         SELECT c.id FROM conversation c WHERE c.user_lo = MIN(\`message\`.sender, \`message\`.\`to\`)
           AND c.user_hi = MAX(\`message\`.sender, \`message\`.\`to\`))`,
    );
    await q.query(
      `UPDATE \`message\` SET seq = r.rn FROM (
         SELECT id, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY create_time, id) AS rn FROM \`message\`
       ) r WHERE r.id = \`message\`.id`,
    );
    await q.query('CREATE UNIQUE INDEX uq_message_conversation_seq ON `message` (conversation_id, seq)');
    await q.query('CREATE UNIQUE INDEX uq_message_sender_client ON `message` (sender, client_msg_id)');
    await q.query('CREATE INDEX idx_message_pending ON `message` (`to`, pending, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    if (isMysql(q)) {
      await q.query(
        `ALTER TABLE \`message\` DROP INDEX uq_message_conversation_seq, DROP INDEX uq_message_sender_client,
           DROP INDEX idx_message_pending, DROP COLUMN conversation_id, DROP COLUMN seq,
           DROP COLUMN client_msg_id, DROP COLUMN pending`,
      );
    } else {
      for (const index of ['uq_message_conversation_seq', 'uq_message_sender_client', 'idx_message_pending']) {
        await q.query(`DROP INDEX ${index}`);
      }
      for (const column of ['conversation_id', 'seq', 'client_msg_id', 'pending']) {
        await q.query(`ALTER TABLE \`message\` DROP COLUMN ${column}`);
      }
    }
    await q.query('DROP TABLE conversation');
  }
}
