import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { describeMariaDb, MARIADB_ADMIN_URL } from '../support/infra';
import { startSuite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

// A deployment may point the suite at the old server's database: tables created without a
// charset, rows written in Asia/Shanghai wall-clock time, messages delivered long ago.

describeMariaDb('migrations on an existing legacy database', () => {
  const name = `chat_legacy_${Date.now().toString(36)}_${process.pid}`;
  const url = `${MARIADB_ADMIN_URL}/${name}`;
  let suite: TestApp | undefined;

  beforeAll(async () => {
    const admin = await createConnection({ uri: MARIADB_ADMIN_URL, multipleStatements: true });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci`);
    await admin.query(`USE \`${name}\`;
      CREATE TABLE user (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(255), phone varchar(32) UNIQUE,
        password varchar(255), sex int, stage varchar(64), msg varchar(255), img varchar(255), update_time datetime, create_time datetime);
      CREATE TABLE message (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, sender int NOT NULL, \`to\` int NOT NULL,
        text varchar(500), update_time datetime, create_time datetime);
      INSERT INTO user (id, name, phone) VALUES (22, '手机用户13227769909', '13227769909'), (23, '手机用户18066877585', '18066877585'), (24, NULL, '13000000000');
      -- ids out of time order on purpose: legacy order is create_time, then id
      INSERT INTO message (id, sender, \`to\`, text, create_time, update_time) VALUES
        (1, 22, 23, 'hello!', '2019-05-28 17:00:00', '2019-05-28 17:00:00'),
        (2, 22, 23, 'fine', '2019-05-28 17:00:18', '2019-05-28 17:00:18'),
        (3, 23, 22, 'what''s up bro', '2019-05-28 17:00:13', '2019-05-28 17:00:13'),
        (4, 24, 22, 'other conversation', '2019-05-29 08:00:00', '2019-05-29 08:00:00');`);
    await admin.end();
    const ds = new DataSource(dataSourceOptions(url, true));
    await ds.initialize();
    await ds.destroy();
  });

  afterAll(async () => {
    await suite?.close();
    const admin = await createConnection({ uri: MARIADB_ADMIN_URL });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });

  it('back-fills conversations and positions in legacy order, keeps times, and marks old rows delivered', async () => {
    const ds = new DataSource(dataSourceOptions(url, false));
    await ds.initialize();
    try {
      const rows = await ds.query('SELECT id, seq, pending, create_time FROM message ORDER BY id');
      expect(rows).toEqual([
        { id: 1, seq: 1, pending: 0, create_time: '2019-05-28 17:00:00' },
        { id: 2, seq: 3, pending: 0, create_time: '2019-05-28 17:00:18' },
        { id: 3, seq: 2, pending: 0, create_time: '2019-05-28 17:00:13' },
        { id: 4, seq: 1, pending: 0, create_time: '2019-05-29 08:00:00' },
      ]);
      expect(await ds.query('SELECT user_lo, user_hi, message_count FROM conversation ORDER BY user_lo, user_hi')).toEqual([
        { user_lo: 22, user_hi: 23, message_count: 3 },
        { user_lo: 22, user_hi: 24, message_count: 1 },
      ]);
      const [col] = await ds.query(
        "SELECT CHARACTER_SET_NAME AS cs FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'message' AND COLUMN_NAME = 'text'",
      );
      expect(col.cs).toBe('utf8mb4');
      // Running the migrations again changes nothing.
      const again = new DataSource(dataSourceOptions(url, true));
      await again.initialize();
      await again.destroy();
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM conversation'))[0].n)).toBe(2);
    } finally {
      await ds.destroy();
    }
  });

  it('never pushes old messages again, and continues each conversation after them', async () => {
    suite = await startSuite({ DATABASE_URL: url });
    const c22 = await TestClient.open(chatUrl(suite.wsUrl, 22, await suite.token(22)));
    const c23 = await TestClient.open(chatUrl(suite.wsUrl, 23, await suite.token(23)));
    await c22.expectSilence();
    c23.send({ senderId: '23', to: '22', text: '新消息 😀' });
    const got = await c22.next();
    expect(got).toMatchObject({ sender: '手机用户18066877585', text: '新消息 😀' });
    const ds = suite.app.get(DataSource);
    expect(await ds.query('SELECT seq, text FROM message WHERE id = ?', [got.id])).toEqual([{ seq: 4, text: '新消息 😀' }]);
    const res = await fetch(`${suite.httpUrl}/chat_message/get_Message_History.do`, {
      method: 'POST',
      headers: { token: await suite.token(22), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'pageNum=1&pageSize=10&friendId=23',
    });
    const body = (await res.json()) as { status: number; data: { total: number; list: { text: string; time: string }[] } };
    expect(body.status).toBe(0);
    expect(body.data.total).toBe(4);
    expect(body.data.list.map((m) => m.text)).toEqual(['hello!', "what's up bro", 'fine', '新消息 😀']);
    expect(body.data.list[0].time).toBe('2019-05-28 17:00:00');
    await Promise.all([c22.close(), c23.close()]);
  });
});
