import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from './dialect';

/**
 * The legacy tables exactly as the old server had them. IF NOT EXISTS: on an existing legacy
 * database this changes nothing.
 */
export class LegacySchema1716800000000 implements MigrationInterface {
  name = 'LegacySchema1716800000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = isMysql(q);
    const pk = mysql ? 'int NOT NULL AUTO_INCREMENT PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    const tail = mysql ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
    await q.query(
      `CREATE TABLE IF NOT EXISTS \`user\` (
        id ${pk},
        name varchar(255) NULL,
        phone varchar(32) NULL UNIQUE,
        password varchar(255) NULL,
        sex int NULL,
        stage varchar(64) NULL,
        msg varchar(255) NULL,
        img varchar(255) NULL,
        update_time datetime NULL,
        create_time datetime NULL
      )${tail}`,
    );
    await q.query(
      `CREATE TABLE IF NOT EXISTS \`message\` (
        id ${pk},
        sender int NOT NULL,
        \`to\` int NOT NULL,
        text varchar(500) NULL,
        update_time datetime NULL,
        create_time datetime NULL
      )${tail}`,
    );
  }

  async down(): Promise<void> {
    // The legacy tables predate the suite: never dropped by it.
  }
}
