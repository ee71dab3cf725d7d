import { createConnection } from 'mysql2/promise';
import { DataSource, DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { describeMariaDb, MARIADB_ADMIN_URL } from '../support/infra';
import { tempSqlite } from '../support/test-app';

// The entities describe the schema the migrations build: after migrating a fresh database,
// TypeORM's schema builder must find nothing to change. A failure lists the statements it would
// run; fix the entity, or add a migration if the schema is what is wrong.

async function pendingSchemaChanges(options: DataSourceOptions): Promise<string[]> {
  const ds = new DataSource(options);
  await ds.initialize();
  try {
    const log = await ds.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query);
  } finally {
    await ds.destroy();
  }
}

/**
 * On SQLite, the push tables are left out: their entities declare a generated `bigint` key,
 * which TypeORM's SQLite driver would write as `bigint PRIMARY KEY AUTOINCREMENT`, a statement
 * SQLite refuses (AUTOINCREMENT needs INTEGER PRIMARY KEY, which is 64 bits there anyway). The
 * MariaDB test below checks those tables in full.
 */
const onSqlite = (changes: string[]) => changes.filter((q) => !/"(temporary_)?push_(device|job)"|"(idx|uq)_push_/.test(q));

describe('schema drift on SQLite', () => {
  const db = tempSqlite();
  afterAll(() => db.remove());

  it('the migrated schema is what the entities declare', async () => {
    expect(onSqlite(await pendingSchemaChanges(dataSourceOptions(db.url, true)))).toEqual([]);
  });

  it('a database of the old server keeps its rows and id counters through the migrations', async () => {
    const legacy = tempSqlite();
    try {
      const old = new DataSource(dataSourceOptions(legacy.url, false));
      await old.initialize();
      for (const statement of [
        `CREATE TABLE user (id INTEGER PRIMARY KEY AUTOINCREMENT, name varchar(255) NULL, phone varchar(32) NULL UNIQUE,
          password varchar(255) NULL, sex int NULL, stage varchar(64) NULL, msg varchar(255) NULL, img varchar(255) NULL,
          update_time datetime NULL, create_time datetime NULL)`,
        `CREATE TABLE message (id INTEGER PRIMARY KEY AUTOINCREMENT, sender int NOT NULL, \`to\` int NOT NULL,
          text varchar(500) NULL, update_time datetime NULL, create_time datetime NULL)`,
        "INSERT INTO user (id, name, phone) VALUES (22, '小明', '13227769909'), (23, NULL, '18066877585'), (30, 'gone', '13000000000')",
        'DELETE FROM user WHERE id = 30',
        `INSERT INTO message (id, sender, \`to\`, text, create_time) VALUES
          (1, 22, 23, 'hello!', '2019-05-28 17:00:00'), (2, 23, 22, '😀', '2019-05-28 17:00:13')`,
      ]) {
        await old.query(statement);
      }
      await old.destroy();

      expect(onSqlite(await pendingSchemaChanges(dataSourceOptions(legacy.url, true)))).toEqual([]);

      const ds = new DataSource(dataSourceOptions(legacy.url, false));
      await ds.initialize();
      try {
        expect(await ds.query('SELECT id, name, phone FROM user ORDER BY id')).toEqual([
          { id: 22, name: '小明', phone: '13227769909' },
          { id: 23, name: null, phone: '18066877585' },
        ]);
        expect(await ds.query('SELECT id, sender, text, conversation_id, seq FROM message ORDER BY id')).toEqual([
          { id: 1, sender: 22, text: 'hello!', conversation_id: 1, seq: 1 },
          { id: 2, sender: 23, text: '😀', conversation_id: 1, seq: 2 },
        ]);
        // The deleted user's id is not handed out again; the phone stays unique.
        await ds.query("INSERT INTO user (name, phone) VALUES ('new', '13900000000')");
        expect(await ds.query("SELECT id FROM user WHERE phone = '13900000000'")).toEqual([{ id: 31 }]);
        await expect(ds.query("INSERT INTO user (name, phone) VALUES ('again', '13900000000')")).rejects.toThrow(/UNIQUE/);
      } finally {
        await ds.destroy();
      }
    } finally {
      legacy.remove();
    }
  });
});

describeMariaDb('schema drift on MariaDB', () => {
  const name = `chat_drift_${Date.now().toString(36)}_${process.pid}`;
  const url = `${MARIADB_ADMIN_URL}/${name}`;

  beforeAll(async () => {
    const admin = await createConnection({ uri: MARIADB_ADMIN_URL });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
  });

  afterAll(async () => {
    const admin = await createConnection({ uri: MARIADB_ADMIN_URL });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });

  it('the migrated schema is what the entities declare', async () => {
    // The suite connects to MySQL and MariaDB alike as `mysql`; told it is MariaDB, TypeORM reads
    // MariaDB's column defaults right (it reports "no default" of a nullable column as 'NULL').
    const options = { ...dataSourceOptions(url, true), type: 'mariadb' } as DataSourceOptions;
    expect(await pendingSchemaChanges(options)).toEqual([]);
  });
});
