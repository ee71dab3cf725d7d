import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from './dialect';

interface TableShape {
  name: string;
  columns: string;
  indexes: string[];
}

// The tables as they stand after the previous migrations, in the words TypeORM's SQLite driver
// writes and reads back: quoted names, `integer` (its word for `int`), NOT NULL on the key. The
// hand-written DDL of those migrations meant the same (SQLite gives `int` and `integer` the same
// affinity), but TypeORM reads `int` as another type and misses an unquoted AUTOINCREMENT, so
// its schema builder saw every table as changed and the schema-drift test could not tell real
// drift from that.
const TABLES: TableShape[] = [
  {
    name: 'user',
    columns: `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(255), "phone" varchar(32), "password" varchar(255),
      "sex" integer, "stage" varchar(64), "msg" varchar(255), "img" varchar(255), "update_time" datetime, "create_time" datetime,
      CONSTRAINT "phone" UNIQUE ("phone")`,
    indexes: [],
  },
  {
    name: 'message',
    columns: `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "sender" integer NOT NULL, "to" integer NOT NULL, "text" varchar(500),
      "update_time" datetime, "create_time" datetime, "conversation_id" integer, "seq" integer, "client_msg_id" varchar(64),
      "pending" tinyint NOT NULL DEFAULT (0)`,
    indexes: [
      'CREATE UNIQUE INDEX "uq_message_conversation_seq" ON "message" ("conversation_id", "seq")',
      'CREATE UNIQUE INDEX "uq_message_sender_client" ON "message" ("sender", "client_msg_id")',
    ],
  },
  {
    name: 'conversation',
    columns: `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_lo" integer NOT NULL, "user_hi" integer NOT NULL,
      "message_count" integer NOT NULL DEFAULT (0)`,
    indexes: ['CREATE UNIQUE INDEX "uq_conversation_pair" ON "conversation" ("user_lo", "user_hi")'],
  },
  {
    name: 'conversation_member',
    columns: `"user_id" integer NOT NULL, "friend_id" integer NOT NULL, "conversation_id" integer NOT NULL,
      "last_seq" integer NOT NULL DEFAULT (0), "last_message_id" integer NOT NULL DEFAULT (0),
      "received_count" integer NOT NULL DEFAULT (0), "received_seq" integer NOT NULL DEFAULT (0),
      "delivered_seq" integer NOT NULL DEFAULT (0), "read_seq" integer NOT NULL DEFAULT (0), "read_count" integer NOT NULL DEFAULT (0),
      PRIMARY KEY ("user_id", "friend_id")`,
    indexes: [
      'CREATE INDEX "idx_member_recent" ON "conversation_member" ("user_id", "last_message_id")',
      'CREATE INDEX "idx_member_conversation" ON "conversation_member" ("conversation_id")',
    ],
  },
];

/** SQLite only: the same tables rebuilt in TypeORM's DDL (rows, indexes and id counters kept). MySQL: nothing. */
export class SqliteCanonicalTables1716800000003 implements MigrationInterface {
  name = 'SqliteCanonicalTables1716800000003';

  async up(q: QueryRunner): Promise<void> {
    if (isMysql(q)) return;
    for (const table of TABLES) {
      const temp = `rebuilt_${table.name}`;
      const counter: { seq: number }[] = await q.query('SELECT seq FROM sqlite_sequence WHERE name = ?', [table.name]);
      await q.query(`CREATE TABLE "${temp}" (${table.columns})`);
      const columns: { name: string }[] = await q.query(`PRAGMA table_info("${table.name}")`);
      const list = columns.map((c) => `"${c.name}"`).join(', ');
      await q.query(`INSERT INTO "${temp}" (${list}) SELECT ${list} FROM "${table.name}"`);
      await q.query(`DROP TABLE "${table.name}"`);
      await q.query(`ALTER TABLE "${temp}" RENAME TO "${table.name}"`);
      // Ids of deleted rows at the end are never handed out again, as before.
      if (counter[0]) await q.query('UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?', [counter[0].seq, table.name]);
      for (const index of table.indexes) await q.query(index);
    }
  }

  async down(): Promise<void> {
    // The previous words for the same schema: the earlier migrations' `down` work on these tables
    // as they are (same names of tables, columns and indexes).
  }
}
