import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from './dialect';

/**
 * Push to devices without a socket: the users' devices, and the outbox of notifications the
 * message store writes in the same transaction as the messages (push_job). Times are epoch
 * milliseconds. A job gathers a burst while `open_slot` is 1 (at most one such job per recipient
 * and friend: the unique key); a worker claiming it sets it to NULL, so later messages open a new
 * job. `available_at` is when a worker may take the job next (its due time, its retry time, or the
 * end of its lease), NULL once it is finished.
 */
export class PushOutbox1716800000004 implements MigrationInterface {
  name = 'PushOutbox1716800000004';

  async up(q: QueryRunner): Promise<void> {
    const mysql = isMysql(q);
    const id = mysql ? 'bigint NOT NULL AUTO_INCREMENT PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    const table = mysql ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
    const ascii = mysql ? ' CHARACTER SET ascii COLLATE ascii_bin' : '';
    await q.query(
      `CREATE TABLE push_device (
        id ${id},
        user_id int NOT NULL,
        platform varchar(16) NOT NULL,
        device_token varchar(255)${ascii} NOT NULL,
        app_id varchar(128) NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      )${table}`,
    );
    await q.query('CREATE UNIQUE INDEX uq_push_device_token ON push_device (device_token)');
    await q.query('CREATE INDEX idx_push_device_user ON push_device (user_id)');
    await q.query(
      `CREATE TABLE push_job (
        id ${id},
        user_id int NOT NULL,
        friend_id int NOT NULL,
        conversation_id int NOT NULL,
        open_slot tinyint NULL,
        first_seq int NOT NULL,
        last_seq int NOT NULL,
        message_count int NOT NULL,
        stored_at bigint NOT NULL,
        due_at bigint NOT NULL,
        available_at bigint NULL,
        state varchar(16) NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        lease_owner varchar(128) NULL,
        lease_until bigint NULL,
        last_error varchar(255) NULL,
        outcome varchar(64) NULL,
        sent_at bigint NULL,
        sent_count int NULL,
        updated_at bigint NULL
      )${table}`,
    );
    await q.query('CREATE UNIQUE INDEX uq_push_job_open ON push_job (user_id, friend_id, open_slot)');
    await q.query('CREATE INDEX idx_push_job_available ON push_job (available_at)');
    await q.query('CREATE INDEX idx_push_job_conversation ON push_job (conversation_id, user_id, last_seq)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE push_job');
    await q.query('DROP TABLE push_device');
  }
}
