import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from './dialect';

/**
 * Accounts, friends and blocking (CONTRACT section 6), additive only:
 * - `user.password_hash`: the memory-hard hash (argon2id, parameters inside the string); the
 *   legacy MD5 column `password` stays as it is and is upgraded at a user's first login;
 * - `user.token_epoch`: bumped by every password change; a token carries the epoch it was issued
 *   in (legacy tokens, none, count as 0) and an older one is refused;
 * - `concern`, the legacy follow table, only when the database has none (a new install), then
 *   with a unique (user, friending) key; an old server's table may hold duplicate rows, so it only
 *   gets a plain index for the lookups;
 * - `user_block` (who blocked whom), `sms_code` (registration codes, hashed) and `upload_owner`
 *   (who uploaded which file, so that only one's own upload becomes one's avatar).
 */
export class Accounts1716800000022 implements MigrationInterface {
  name = 'Accounts1716800000022';

  async up(q: QueryRunner): Promise<void> {
    if (!isMysql(q)) return this.upSqlite(q);
    const table = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    const ascii = ' CHARACTER SET ascii COLLATE ascii_bin';
    await q.query(`ALTER TABLE \`user\` ADD COLUMN password_hash varchar(255)${ascii} NULL, ADD COLUMN token_epoch int NOT NULL DEFAULT 0`);
    if (await q.hasTable('concern')) {
      await q.query('CREATE INDEX idx_concern_user_friending ON concern (`user`, friending)');
    } else {
      await q.query(
        `CREATE TABLE concern (
          id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
          \`user\` int NOT NULL,
          friending int NOT NULL,
          update_time datetime NULL,
          create_time datetime NULL
        )${table}`,
      );
      await q.query('CREATE UNIQUE INDEX idx_concern_user_friending ON concern (`user`, friending)');
    }
    await q.query('CREATE INDEX idx_concern_friending ON concern (friending, `user`)');
    await q.query(
      `CREATE TABLE user_block (blocker int NOT NULL, blocked int NOT NULL, created_at bigint NOT NULL, PRIMARY KEY (blocker, blocked))${table}`,
    );
    await q.query('CREATE INDEX idx_user_block_blocked ON user_block (blocked)');
    await q.query(
      `CREATE TABLE sms_code (phone varchar(32)${ascii} NOT NULL PRIMARY KEY, code_hash varchar(64)${ascii} NOT NULL,
        expires_at bigint NOT NULL, tries int NOT NULL DEFAULT 0)${table}`,
    );
    await q.query(
      `CREATE TABLE upload_owner (uri varchar(128)${ascii} NOT NULL PRIMARY KEY, user_id int NOT NULL, created_at bigint NOT NULL)${table}`,
    );
  }

  /** SQLite, in the words TypeORM's driver writes and reads back (see SqliteCanonicalTables). */
  private async upSqlite(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "user" ADD COLUMN "password_hash" varchar(255)');
    await q.query('ALTER TABLE "user" ADD COLUMN "token_epoch" integer NOT NULL DEFAULT (0)');
    if (await q.hasTable('concern')) {
      await q.query('CREATE INDEX "idx_concern_user_friending" ON "concern" ("user", "friending")');
    } else {
      await q.query(
        `CREATE TABLE "concern" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user" integer NOT NULL, "friending" integer NOT NULL,
          "update_time" datetime, "create_time" datetime)`,
      );
      await q.query('CREATE UNIQUE INDEX "idx_concern_user_friending" ON "concern" ("user", "friending")');
    }
    await q.query('CREATE INDEX "idx_concern_friending" ON "concern" ("friending", "user")');
    await q.query(
      'CREATE TABLE "user_block" ("blocker" integer NOT NULL, "blocked" integer NOT NULL, "created_at" bigint NOT NULL, PRIMARY KEY ("blocker", "blocked"))',
    );
    await q.query('CREATE INDEX "idx_user_block_blocked" ON "user_block" ("blocked")');
    await q.query(
      'CREATE TABLE "sms_code" ("phone" varchar(32) PRIMARY KEY NOT NULL, "code_hash" varchar(64) NOT NULL, "expires_at" bigint NOT NULL, "tries" integer NOT NULL DEFAULT (0))',
    );
    await q.query('CREATE TABLE "upload_owner" ("uri" varchar(128) PRIMARY KEY NOT NULL, "user_id" integer NOT NULL, "created_at" bigint NOT NULL)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE upload_owner');
    await q.query('DROP TABLE sms_code');
    await q.query('DROP TABLE user_block');
    // `concern` may predate the suite (the old server's): left in place with its rows.
    await q.query(isMysql(q) ? 'DROP INDEX idx_concern_friending ON concern' : 'DROP INDEX idx_concern_friending');
    await q.query('ALTER TABLE `user` DROP COLUMN token_epoch');
    await q.query('ALTER TABLE `user` DROP COLUMN password_hash');
  }
}
