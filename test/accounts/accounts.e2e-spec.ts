import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { testMariaDbUrl } from '../support/infra';
import { freshPhone, opsAuth, startSuite, tempSqlite, TestApp } from '../support/test-app';
import { TestClient } from '../support/ws-client';
import { useChatAdapter } from '../../apps/chat-gateway/src/chat-gateway.module';
import { useHistoryOpenApi } from '../../apps/history-api/src/history/history-openapi';
import { SuiteModule } from '../../apps/suite/src/suite.module';
import { Answer, call, legacyMd5, uploadPng } from './accounts-client';

jest.setTimeout(60_000);

// The legacy account and friend paths through real HTTP on the all-in-one suite, once on the
// embedded SQLite default and once on MariaDB.

const engines: [string, () => { url: string; remove(): void } | null][] = [
  ['SQLite', () => tempSqlite()],
  ['MariaDB', () => (testMariaDbUrl() ? { url: testMariaDbUrl()!, remove: () => undefined } : null)],
];

describe.each(engines)('accounts on %s', (_engine, database) => {
  const db = database();
  const run = db ? it : it.skip;
  let suite: TestApp;
  let ds: DataSource;
  let uploads: string;
  const sql = (statement: string, params: unknown[] = []) => ds.query(statement, params) as Promise<Record<string, unknown>[]>;

  beforeAll(async () => {
    if (!db) return;
    uploads = mkdtempSync(join(tmpdir(), 'accounts-uploads-'));
    suite = await startSuite({ DATABASE_URL: db.url, UPLOAD_DIR: uploads, ACCOUNTS_REGISTRATION: 'open', ACCOUNTS_LEGACY_SALT: 'pepper' });
    ds = new DataSource({ type: db.url.startsWith('sqlite:') ? 'better-sqlite3' : 'mysql', ...(db.url.startsWith('sqlite:') ? { database: db.url.slice(7) } : { url: db.url }) } as never);
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await suite?.close();
    db?.remove();
    if (uploads) rmSync(uploads, { recursive: true, force: true });
  });

  const register = async (password = 'correct horse', phone = freshPhone()) => {
    const answer = await call(suite.httpUrl, '/user/register.do', { phone, password });
    expect(answer).toMatchObject({ status: 0, msg: '注册成功' });
    const data = answer.data as { user: { id: number }; token: string };
    return { phone, password, id: data.user.id, token: data.token };
  };

  run('a user made by the old server signs in with the old password; the row is upgraded and the MD5 cleared', async () => {
    const phone = freshPhone();
    await sql("INSERT INTO `user` (name, phone, password, msg, img) VALUES ('小明', ?, ?, '此人很懒, 尚未填写个人信息.', 'default.jpg')", [phone, legacyMd5('old-pass', 'pepper')]);
    const answer = await call(suite.httpUrl, '/user/login.do', { phoneNumber: phone, password: 'old-pass' });
    expect(answer).toMatchObject({ status: 0, msg: '登录成功' });
    const { user, token } = answer.data as { user: Record<string, unknown>; token: string };
    expect(user).toEqual({ id: expect.any(Number), name: '小明', phone, msg: '此人很懒, 尚未填写个人信息.', img: expect.stringMatching(/\/images\/default\.jpg$/) });
    expect(user).not.toHaveProperty('password');
    expect(token.split('.')).toHaveLength(3);
    const [row] = await sql('SELECT password, password_hash FROM `user` WHERE phone = ?', [phone]);
    expect(row.password).toBe('');
    expect(String(row.password_hash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // The upgraded row signs in again; the old MD5 alone no longer would.
    expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: phone, password: 'old-pass' })).toMatchObject({ status: 0 });
    expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: phone, password: 'old-pasS' })).toEqual({ status: 1, msg: '账号或密码错误' });
  });

  run('an unknown phone and a wrong password get the same answer', async () => {
    const user = await register();
    const unknown = await call(suite.httpUrl, '/user/login.do', { phoneNumber: freshPhone(), password: 'whatever1' });
    const wrong = await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password: 'whatever1' });
    expect(unknown).toEqual({ status: 1, msg: '账号或密码错误' });
    expect(wrong).toEqual(unknown);
  });

  run('passwords of 0, 1 and 10,000 characters are refused at registration; NUL and emoji work', async () => {
    expect(await call(suite.httpUrl, '/user/register.do', { phone: freshPhone(), password: '' })).toEqual({ status: 1, msg: '信息不完全' });
    for (const password of ['x', 'x'.repeat(10_000)]) {
      const answer = await call(suite.httpUrl, '/user/register.do', { phone: freshPhone(), password });
      expect(answer.status).toBe(1);
      expect(answer.msg).toContain('密码长度必须为 6 到 128 个字符');
    }
    for (const password of ['nul\u0000inside', '🔐密码😀emoji']) {
      const user = await register(password);
      expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password })).toMatchObject({ status: 0, msg: '登录成功' });
      // Neither cut at the NUL nor at the emoji: every byte counts.
      for (const near of [password.split('\u0000')[0], password.replace('\u0000', ''), [...password].slice(0, -1).join(''), `${password}x`]) {
        if (near === password) continue;
        expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password: near })).toEqual({ status: 1, msg: '账号或密码错误' });
      }
    }
    const user = await register();
    for (const password of ['', 'x', 'x'.repeat(10_000)]) {
      expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password })).toEqual({ status: 1, msg: '账号或密码错误' });
    }
  });

  run('registering a phone twice answers 手机号码已存在', async () => {
    const user = await register();
    expect(await call(suite.httpUrl, '/user/register.do', { phone: user.phone, password: 'another-one' })).toEqual({ status: 1, msg: '手机号码已存在' });
    expect(await call(suite.httpUrl, '/user/register.do', { phone: '', password: 'another-one' })).toEqual({ status: 1, msg: '信息不完全' });
  });

  run('user info and update: name, signature, HTML kept as text, limits, and only one\'s own upload as avatar', async () => {
    const me = await register();
    const other = await register();
    const info = await call(suite.httpUrl, '/user/get_user_info.do', {}, me.token);
    expect(info).toEqual({ status: 0, data: { id: me.id, name: `手机用户${me.phone}`, phone: me.phone } });

    const html = '<img src=x onerror=alert(1)>&amp;';
    const updated = await call(suite.httpUrl, '/user/update_user_info.do', { name: html, msg: '签名 ✍️', sex: 1, stage: '大二' }, me.token);
    expect(updated).toEqual({ status: 0, msg: '更新信息成功', data: { id: me.id, name: html, phone: me.phone, sex: 1, stage: '大二', msg: '签名 ✍️' } });

    const long = await call(suite.httpUrl, '/user/update_user_info.do', { name: '名'.repeat(10_000) }, me.token);
    expect(long.status).toBe(1);
    expect(long.msg).toContain('name 最多 50 个字符');

    const theirs = await uploadPng(suite.httpUrl, other.token);
    const refused = await call(suite.httpUrl, '/user/update_user_info.do', { img: theirs }, me.token);
    expect(refused).toEqual({ status: 1, msg: '头像必须是自己上传的图片 (img must be the uri of an image you uploaded)' });
    expect(await call(suite.httpUrl, '/user/update_user_info.do', { img: 'default.jpg' }, me.token)).toMatchObject({ status: 1 });

    const mine = await uploadPng(suite.httpUrl, me.token);
    const withAvatar = await call(suite.httpUrl, '/user/update_user_info.do', { img: mine }, me.token);
    expect((withAvatar.data as { img: string }).img).toBe(`${suite.httpUrl}/images/${mine}`);
    const detail = await call(suite.httpUrl, '/friend/get_detail.do', { friendId: me.id }, other.token);
    expect(detail).toEqual({ status: 0, data: { id: me.id, name: html, sex: 1, stage: '大二', msg: '签名 ✍️', img: `${suite.httpUrl}/images/${mine}` } });
  });

  run('a password change refuses every earlier token, over HTTP and at the socket upgrade', async () => {
    const user = await register('first-password');
    const second = (await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password: 'first-password' })).data as { token: string };
    const changed = await call(suite.httpUrl, '/user/login_reset_password.do', { password: 'second-password' }, user.token);
    expect(changed).toMatchObject({ status: 0, data: { token: expect.any(String) } });
    const fresh = (changed.data as { token: string }).token;
    for (const old of [user.token, second.token]) {
      expect(await call(suite.httpUrl, '/user/get_user_info.do', {}, old)).toEqual({ status: 1, msg: '用户未登录' });
      await expect(TestClient.open(`${suite.wsUrl}/chat/${user.id}?token=${old}`)).rejects.toThrow('HTTP 401');
    }
    expect(await call(suite.httpUrl, '/user/get_user_info.do', {}, fresh)).toMatchObject({ status: 0 });
    const socket = await TestClient.open(`${suite.wsUrl}/chat/${user.id}?token=${fresh}`);
    await socket.close();
    expect(await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password: 'first-password' })).toEqual({ status: 1, msg: '账号或密码错误' });
    const again = await call(suite.httpUrl, '/user/login.do', { phoneNumber: user.phone, password: 'second-password' });
    expect(await call(suite.httpUrl, '/user/get_user_info.do', {}, (again.data as { token: string }).token)).toMatchObject({ status: 0 });
    expect(await call(suite.httpUrl, '/user/logout.do')).toEqual({ status: 0, msg: '注销成功' });
  });

  run('the friend paths answer as the old server did; duplicate legacy rows count once', async () => {
    const a = await register();
    const b = await register();
    const f = (path: string, user: { token: string }, friendId?: number): Promise<Answer> =>
      call(suite.httpUrl, `/friend/${path}`, friendId === undefined ? {} : { friendId }, user.token);
    expect(await f('get_list.do', a)).toEqual({ status: 1, msg: '好友数量为零' });
    expect(await f('check_concern.do', a, b.id)).toEqual({ status: 0, msg: '未关注' });
    expect(await f('concern.do', a, b.id)).toEqual({ status: 0, msg: '关注成功' });
    expect(await f('concern.do', a, b.id)).toEqual({ status: 0, msg: '关注成功' });
    expect(await f('check_concern.do', a, b.id)).toEqual({ status: 0, msg: '已关注' });
    expect(await f('concern.do', b, a.id)).toEqual({ status: 0, msg: '关注成功' });
    expect(await f('check_concern.do', a, b.id)).toEqual({ status: 0, msg: '互相关注' });
    expect(await f('concern.do', a, 999_999_999)).toEqual({ status: 1, msg: '用户不存在' });
    expect(await f('get_list.do', a)).toEqual({ status: 0, data: [{ id: b.id, name: `手机用户${b.phone}` }] });
    expect(await f('unconcern.do', a, b.id)).toEqual({ status: 0, msg: '取关成功' });
    expect(await f('unconcern.do', a, b.id)).toEqual({ status: 1, msg: '取关失败' });
    expect(await f('check_concern.do', b, a.id)).toEqual({ status: 0, msg: '已关注' });
    expect(await f('get_detail.do', a, 999_999_999)).toEqual({ status: 1, msg: '用户不存在' });
    expect(await f('get_list.do', { token: 'forged' })).toEqual({ status: 1, msg: '用户未登录' });
  });

  run('search finds by exact phone or name start, never dumps users, never shows a phone', async () => {
    const me = await register();
    const target = await register();
    const name = `Zed${target.id}x`;
    await call(suite.httpUrl, '/user/update_user_info.do', { name }, target.token);
    const s = (q: string) => call(suite.httpUrl, '/user/search.do', { q }, me.token);
    expect((await s('')).status).toBe(1);
    expect((await s('   ')).status).toBe(1);
    expect(await s('1')).toEqual({ status: 0, data: [] });
    expect(await s('Z')).toEqual({ status: 0, data: [] });
    expect(await s('%')).toEqual({ status: 0, data: [] });
    expect(await s('%%')).toEqual({ status: 0, data: [] });
    expect(await s(target.phone)).toEqual({ status: 0, data: [{ id: target.id, name }] });
    expect(await s(target.phone.slice(0, 6))).toEqual({ status: 0, data: [] });
    expect(await s(name.slice(0, 5))).toEqual({ status: 0, data: [{ id: target.id, name }] });
    const wide = await s('手机用户');
    expect((wide.data as unknown[]).length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(wide)).not.toContain('"phone"');
    const byGet = await fetch(`${suite.httpUrl}/user/search.do?q=${encodeURIComponent(target.phone)}`, { headers: { token: me.token } });
    expect(await byGet.json()).toEqual({ status: 0, data: [{ id: target.id, name }] });
  });

  run('block, block list and unblock', async () => {
    const a = await register();
    const b = await register();
    expect(await call(suite.httpUrl, '/user/block_List.do', {}, a.token)).toEqual({ status: 0, data: [] });
    expect(await call(suite.httpUrl, '/user/block.do', { userId: b.id }, a.token)).toEqual({ status: 0, msg: '屏蔽成功' });
    expect(await call(suite.httpUrl, '/user/block.do', { userId: b.id }, a.token)).toEqual({ status: 0, msg: '屏蔽成功' });
    expect(await call(suite.httpUrl, '/user/block_List.do', {}, a.token)).toEqual({ status: 0, data: [{ id: b.id, name: `手机用户${b.phone}` }] });
    expect((await call(suite.httpUrl, '/user/block.do', { userId: 999_999_999 }, a.token)).msg).toBe('用户不存在');

    const sockB = await TestClient.open(`${suite.wsUrl}/chat/${b.id}?token=${b.token}`);
    sockB.send({ to: a.id, text: 'let me in' });
    expect(await sockB.nextMatching((f) => f.code !== undefined)).toMatchObject({ code: 'BLOCKED', text: '消息已发出，但被对方拒收了' });
    // A read receipt over HTTP is refused the same way.
    expect(await call(suite.httpUrl, '/chat_message/mark_Read.do', { friendId: a.id, seq: 1 }, b.token)).toEqual({ status: 1, msg: '消息已发出，但被对方拒收了' });
    const [{ n }] = await sql('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [b.id]);
    expect(Number(n)).toBe(0);

    expect(await call(suite.httpUrl, '/user/unblock.do', { userId: b.id }, a.token)).toEqual({ status: 0, msg: '已取消屏蔽' });
    sockB.send({ to: a.id, text: 'thanks', clientMsgId: 'after-unblock' });
    expect(await sockB.nextMatching((f) => f.type === 'ack' || f.code !== undefined)).toMatchObject({ type: 'ack' });
    await sockB.close();
  });
});

describe('registration by code and closed registration', () => {
  const db = tempSqlite();
  let suite: TestApp;
  let closed: TestApp;
  let sms: SmsReceiver;
  const secret = 'sms-webhook-secret-0123456789';
  beforeAll(async () => {
    sms = await SmsReceiver.start(secret);
    suite = await startSuite(
      { DATABASE_URL: db.url, ACCOUNTS_REGISTRATION: 'code', ACCOUNTS_SMS_WEBHOOK_URL: sms.url, ACCOUNTS_SMS_WEBHOOK_SECRET: secret },
      SuiteModule,
      (app) => {
        useChatAdapter(app);
        useHistoryOpenApi(app);
      },
    );
    closed = await startSuite({ DATABASE_URL: db.url, ACCOUNTS_REGISTRATION: 'closed', ACCOUNTS_LOGIN_MAX_PER_ADDRESS: '5' });
  });
  afterAll(async () => {
    await suite?.close();
    await closed?.close();
    await sms?.close();
    db.remove();
  });

  it('sends a signed code; a wrong code is refused, the right one registers once', async () => {
    const phone = freshPhone();
    expect(await call(suite.httpUrl, '/user/register.do', { phone, password: 'good-password' })).toEqual({ status: 1, msg: '信息不完全' });
    expect(await call(suite.httpUrl, '/user/get_msgcode.do', { phoneNumber: phone })).toEqual({ status: 0, msg: '发送成功' });
    const sent = sms.last(phone);
    expect(sent.verified).toBe(true);
    expect(sent.code).toMatch(/^\d{6}$/);
    const wrong = sent.code === '000000' ? '111111' : '000000';
    expect(await call(suite.httpUrl, '/user/register.do', { phone, password: 'good-password', msgCode: wrong })).toEqual({ status: 1, msg: '验证码错误' });
    expect(await call(suite.httpUrl, '/user/register.do', { phone, password: 'good-password', msgCode: sent.code })).toMatchObject({ status: 0, msg: '注册成功' });
    // Used once.
    expect(await call(suite.httpUrl, '/user/register.do', { phone, password: 'good-password', msgCode: sent.code })).toEqual({ status: 1, msg: '验证码错误' });
    expect(await call(suite.httpUrl, '/user/get_msgcode.do', { phoneNumber: 'not-a-phone' })).toEqual({ status: 1, msg: '发送失败' });
  });

  it('without TRUST_PROXY_HOPS, X-Forwarded-For is not believed: the TCP peer is the address', async () => {
    const answers = await Promise.all(
      [...Array(8).keys()].map((i) => call(closed.httpUrl, '/user/login.do', { phoneNumber: freshPhone(), password: 'guess-123' }, undefined, { 'X-Forwarded-For': `10.9.8.${i}` })),
    );
    expect(answers.filter((a) => a.msg === '账号或密码错误')).toHaveLength(5);
    expect(answers.filter((a) => a.msg === '尝试次数过多，请稍后再试')).toHaveLength(3);
  });

  it('describes every account path in the OpenAPI document', async () => {
    const res = await fetch(`${suite.httpUrl}/api-docs/history-json`, { headers: opsAuth });
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const paths = [
      'login.do', 'register.do', 'get_msgcode.do', 'get_user_info.do', 'update_user_info.do', 'login_reset_password.do', 'logout.do',
      'search.do', 'block.do', 'unblock.do', 'block_List.do',
    ].map((p) => `/user/${p}`);
    paths.push(...['concern.do', 'unconcern.do', 'check_concern.do', 'get_list.do', 'get_detail.do'].map((p) => `/friend/${p}`));
    for (const path of paths) expect(doc.paths[path]?.post).toBeDefined();
    expect(Object.keys(doc.paths['/user/search.do']).sort()).toEqual(['get', 'post']);
  });

  it('closed: nobody registers', async () => {
    const answer = await call(closed.httpUrl, '/user/register.do', { phone: freshPhone(), password: 'good-password', msgCode: '123456' });
    expect(answer.status).toBe(1);
    expect(answer.msg).toContain('本服务器不开放注册');
  });
});

/** The operator's SMS gateway: checks the signature of every request it gets. */
class SmsReceiver {
  private readonly got: { phone: string; code: string; verified: boolean }[] = [];
  private constructor(
    private readonly server: import('node:http').Server,
    readonly url: string,
  ) {}

  static async start(secret: string): Promise<SmsReceiver> {
    const { createServer } = await import('node:http');
    const { createHmac } = await import('node:crypto');
    const holder: { r?: SmsReceiver } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-chat-signature'] ?? ''));
        const verified = !!m && createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex') === m[2];
        const parsed = JSON.parse(body) as { phone: string; code: string };
        holder.r!.got.push({ phone: parsed.phone, code: parsed.code, verified });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    return (holder.r = new SmsReceiver(server, `http://127.0.0.1:${port}/sms`));
  }

  last(phone: string) {
    const found = this.got.filter((g) => g.phone === phone).pop();
    if (!found) throw new Error(`no code sent to ${phone}`);
    return found;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
