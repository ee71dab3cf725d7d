import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AccountAdmin } from '@app/accounts';
import { createConnection } from 'mysql2/promise';
import { TokenService } from '@app/auth';
import { ChatClock } from '@app/common';
import { UserRepository } from '@app/database';
import { runAdminCommand, UsageError } from '../../apps/admin-cli/src/admin-commands';
import { describeMariaDb, MARIADB_ADMIN_URL, testMariaDbUrl } from '../support/infra';
import { freshPhone, startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';
import { call } from '../accounts/accounts-client';

function adminSuite(engine: string, url: () => string) {
  describe(`admin commands on ${engine}`, () => {
    let suite: TestApp;
    let run: (...args: string[]) => Promise<string>;
    let stdin = '';
    beforeAll(async () => {
      suite = await startSuite({ DATABASE_URL: url() });
      const deps = {
        users: suite.app.get(UserRepository),
        tokens: suite.app.get(TokenService),
        clock: suite.app.get(ChatClock),
        admin: suite.app.get(AccountAdmin),
        readSecret: () => Promise.resolve(stdin),
      };
      run = (...args) => runAdminCommand(args, deps);
    });
    afterAll(() => suite.close());

    it('adds a user named 手机用户<phone> and mints a token that opens their socket', async () => {
      const phone = freshPhone();
      const user = JSON.parse(await run('user', 'add', '--phone', phone)) as { id: number; name: string };
      expect(user.name).toBe(`手机用户${phone}`);
      const token = await run('token', String(user.id));
      const client = await TestClient.open(chatUrl(suite.wsUrl, user.id, token));
      await client.close();
    });

    it('keeps a given name and refuses a phone that exists already', async () => {
      const phone = freshPhone();
      expect(JSON.parse(await run('user', 'add', '--phone', phone, '--name', 'Alice'))).toMatchObject({ name: 'Alice' });
      await expect(run('user', 'add', '--phone', phone)).rejects.toThrow(/exists already/);
    });

    it('user passwd sets a password that signs in and refuses the tokens issued before', async () => {
      const phone = freshPhone();
      const user = JSON.parse(await run('user', 'add', '--phone', phone, '--name', 'Passwd')) as { id: number };
      const before = await run('token', String(user.id));
      expect(await call(suite.httpUrl, '/user/get_user_info.do', {}, before)).toMatchObject({ status: 0 });
      stdin = 'operator-set 密码\n';
      expect(await run('user', 'passwd', String(user.id))).toContain('password of user');
      expect(await call(suite.httpUrl, '/user/get_user_info.do', {}, before)).toEqual({ status: 1, msg: '用户未登录' });
      expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: phone, password: 'operator-set 密码' })).toMatchObject({ status: 0, msg: '登录成功' });
      stdin = 'short\n';
      await expect(run('user', 'passwd', String(user.id))).rejects.toThrow(/6 到 128/);
      await expect(run('user', 'passwd', 'x')).rejects.toBeInstanceOf(UsageError);
    });

    it('user block and unblock, and user list --q', async () => {
      const a = JSON.parse(await run('user', 'add', '--phone', freshPhone(), '--name', 'Blocker')) as { id: number };
      const phone = freshPhone();
      const b = JSON.parse(await run('user', 'add', '--phone', phone, '--name', 'Blocked')) as { id: number };
      expect(await run('user', 'block', String(a.id), String(b.id))).toBe(`user ${a.id} blocks user ${b.id}`);
      const tokenA = await run('token', String(a.id));
      expect(await call(suite.httpUrl, '/user/block_List.do', {}, tokenA)).toEqual({ status: 0, data: [{ id: b.id, name: 'Blocked' }] });
      expect(await run('user', 'unblock', String(a.id), String(b.id))).toBe(`user ${a.id} no longer blocks user ${b.id}`);
      expect(await call(suite.httpUrl, '/user/block_List.do', {}, tokenA)).toEqual({ status: 0, data: [] });
      const listed = (await run('user', 'list', '--q', phone.slice(-8))).split('\n').map((l) => JSON.parse(l) as { id: number; phone: string });
      expect(listed).toEqual([{ id: b.id, name: 'Blocked', phone, img: null }]);
      expect((await run('user', 'list', '--limit', '2')).split('\n')).toHaveLength(2);
      await expect(run('user', 'block', String(a.id))).rejects.toBeInstanceOf(UsageError);
    });

    it('refuses bad input with a usage error', async () => {
      await expect(run('user', 'add')).rejects.toBeInstanceOf(UsageError);
      await expect(run('user', 'add', '--phone', 'abc')).rejects.toThrow(/digits/);
      await expect(run('token', 'x')).rejects.toThrow(/user id/);
      await expect(run('token', '1999999999')).rejects.toThrow(/no user/);
      await expect(run('frobnicate')).rejects.toThrow(/unknown command/);
    });
  });
}

const sqlite = tempSqlite();
adminSuite('SQLite', () => sqlite.url);
afterAll(() => sqlite.remove());
describeMariaDb('MariaDB', () => adminSuite('MariaDB', () => testMariaDbUrl()!));

describe('the admin CLI as operators run it', () => {
  const sqlite = tempSqlite();
  afterAll(() => sqlite.remove());

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/admin-cli/src/main.ts', ...args], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', DATABASE_URL: sqlite.url, JWT_SECRET: 'cli-test-secret-0123456789', CHAT_DEV_MODE: 'false' },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('migrates, adds a user and mints a token for it; a usage error exits 2', () => {
    const migrate = cli('migrate');
    expect(migrate.stderr).toBe('');
    expect(migrate.stdout.trim()).toBe('migrations applied');
    const phone = freshPhone();
    const added = cli('user', 'add', '--phone', phone);
    expect(added.status).toBe(0);
    const user = JSON.parse(added.stdout) as { id: number; name: string };
    expect(user.name).toBe(`手机用户${phone}`);
    const token = cli('token', String(user.id));
    expect(token.status).toBe(0);
    expect(token.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const bad = cli('user', 'add');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--phone');
  });

  it('refuses to run without a secret, naming the fix', () => {
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/admin-cli/src/main.ts', 'token', '1'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', DATABASE_URL: sqlite.url, JWT_SECRET: '', CHAT_DEV_MODE: 'false' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/JWT_SECRET is not set/);
  });
});

describeMariaDb('migrating into a database that does not exist', () => {
  const name = `chat_missing_${Date.now().toString(36)}_${process.pid}`;
  const url = `${MARIADB_ADMIN_URL}/${name}`;
  const run = (entry: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', entry, ...args], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', DATABASE_URL: url, JWT_SECRET: 'cli-test-secret-0123456789', CHAT_DEV_MODE: 'false', LOG_FORMAT: 'text', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const schema = async () => {
    const c = await createConnection({ uri: MARIADB_ADMIN_URL });
    try {
      const [rows] = await c.query('SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
      return (rows as { cs: string; co: string }[])[0];
    } finally {
      await c.end();
    }
  };
  afterAll(async () => {
    const c = await createConnection({ uri: MARIADB_ADMIN_URL });
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.end();
  });

  it('says so in one line naming the database and the statement that creates it, and creates nothing', async () => {
    const r = run('apps/admin-cli/src/main.ts', ['migrate']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^database "${name}" does not exist on 127\\.0\\.0\\.1:3306: create it with  CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;.*migrate --create-database`)),
    ]);
    await expect(schema()).resolves.toBeUndefined();
    // An app booting on it says the same, in one line.
    const app = run('apps/history-api/src/main.ts', [], { PORT: '0', HOST: '127.0.0.1' });
    expect(app.status).toBe(1);
    expect(app.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^history-api cannot start: database "${name}" does not exist`))]);
  }, 120_000);

  it('creates it with utf8mb4 and migrates it with --create-database', async () => {
    const r = run('apps/admin-cli/src/main.ts', ['migrate', '--create-database']);
    expect(r.stderr.trim()).toBe('created the database (utf8mb4)');
    expect(r.stdout.trim()).toBe('migrations applied');
    expect(r.status).toBe(0);
    await expect(schema()).resolves.toEqual({ cs: 'utf8mb4', co: 'utf8mb4_unicode_ci' });
    // Once it exists, the flag changes nothing.
    const again = run('apps/admin-cli/src/main.ts', ['migrate'], { DATABASE_CREATE: 'true' });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
  }, 120_000);
});
