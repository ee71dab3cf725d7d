import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { GatewayProcess } from '../support/gateway-process';
import { describeMariaDb, isCi, testMariaDbUrl, testRedisPrefix, testRedisUrl } from '../support/infra';
import { freshPhone } from '../support/test-identity';
import { sleep } from '../support/wait';
import { chatUrl, TestClient } from '../support/ws-client';
import { Answer, call } from './accounts-client';

// Two all-in-one replicas in processes of their own, one Redis, one MariaDB: the attempt limits,
// a registration race, password changes, blocking and the friends policy across replicas.

jest.setTimeout(420_000);

const SUITE = ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/suite/src/main.ts'];

describeMariaDb('accounts across two replicas', () => {
  let r1: GatewayProcess;
  let r2: GatewayProcess;
  let ds: DataSource;
  let uploads: string;

  beforeAll(async () => {
    if (!testRedisUrl()) {
      if (isCi()) throw new Error('CI=true but Redis is unreachable');
      return;
    }
    uploads = mkdtempSync(join(tmpdir(), 'accounts-replicas-'));
    const env = {
      DATABASE_URL: testMariaDbUrl()!,
      REDIS_URL: testRedisUrl()!,
      REDIS_KEY_PREFIX: `${testRedisPrefix()}accounts:`,
      CHAT_RATE_LIMIT_COUNT: '0',
      UPLOAD_DIR: uploads,
      ACCOUNTS_REGISTRATION: 'open',
      ACCOUNTS_LOGIN_MAX_PER_PHONE: '10',
      ACCOUNTS_LOGIN_MAX_PER_ADDRESS: '50',
      ACCOUNTS_LOGIN_WINDOW_SEC: '3600',
      // One proxy in front (the test plays it): X-Forwarded-For's last entry is the client.
      TRUST_PROXY_HOPS: '1',
      CHAT_POLICY: 'friends',
    };
    [r1, r2] = await Promise.all([GatewayProcess.start(env, { args: SUITE, readyTimeoutMs: 240_000 }), GatewayProcess.start(env, { args: SUITE, readyTimeoutMs: 240_000 })]);
    ds = new DataSource(dataSourceOptions(testMariaDbUrl()!, false));
    await ds.initialize();
  });
  afterAll(async () => {
    await Promise.all([r1?.stop(), r2?.stop()]);
    await ds?.destroy();
    if (uploads) rmSync(uploads, { recursive: true, force: true });
  });

  const register = async (on = r1) => {
    const phone = freshPhone();
    const answer = await call(on.httpUrl, '/user/register.do', { phone, password: 'right-password' });
    expect(answer).toMatchObject({ status: 0, msg: '注册成功' });
    const { user, token } = answer.data as { user: { id: number }; token: string };
    return { phone, id: user.id, token };
  };
  const login = (on: GatewayProcess, phone: string, password: string, address: string): Promise<Answer> =>
    call(on.httpUrl, '/user/login.do', { phoneNumber: phone, password }, undefined, { 'X-Forwarded-For': address });
  const tally = (answers: Answer[]) => {
    const counts: Record<string, number> = {};
    for (const a of answers) counts[a.msg ?? ''] = (counts[a.msg ?? ''] ?? 0) + 1;
    return counts;
  };

  it('50 wrong passwords for one phone from one address, across both replicas: 10 judged, 40 refused, then even the right one waits', async () => {
    const user = await register();
    const answers = await Promise.all([...Array(50).keys()].map((i) => login(i % 2 ? r2 : r1, user.phone, `wrong-${i}`, '203.0.113.7')));
    expect(tally(answers)).toEqual({ 账号或密码错误: 10, '尝试次数过多，请稍后再试': 40 });
    expect(await login(r2, user.phone, 'right-password', '203.0.113.99')).toEqual({ status: 1, msg: '尝试次数过多，请稍后再试' });
  });

  it('50 wrong passwords for one phone from 10 addresses: the per-phone limit holds', async () => {
    const user = await register();
    const answers = await Promise.all([...Array(50).keys()].map((i) => login(i % 2 ? r2 : r1, user.phone, `wrong-${i}`, `198.51.100.${i % 10}`)));
    expect(tally(answers)).toEqual({ 账号或密码错误: 10, '尝试次数过多，请稍后再试': 40 });
  });

  it('one address trying many phones is limited per address; a successful sign-in is not counted', async () => {
    const user = await register();
    for (let i = 0; i < 3; i++) expect(await login(r1, user.phone, 'right-password', '192.0.2.55')).toMatchObject({ status: 0 });
    const answers = await Promise.all([...Array(60).keys()].map((i) => login(i % 2 ? r2 : r1, freshPhone(), 'guess-123', '192.0.2.55')));
    expect(tally(answers)).toEqual({ 账号或密码错误: 50, '尝试次数过多，请稍后再试': 10 });
    // Another address is not affected.
    expect(await login(r2, user.phone, 'right-password', '192.0.2.56')).toMatchObject({ status: 0, msg: '登录成功' });
  });

  it('a register race for one phone from two replicas: one wins, the other gets 手机号码已存在', async () => {
    for (let round = 0; round < 5; round++) {
      const phone = freshPhone();
      const answers = await Promise.all([r1, r2].map((r) => call(r.httpUrl, '/user/register.do', { phone, password: `pw-of-${r.port}` })));
      expect(answers.map((a) => a.msg).sort()).toEqual(['手机号码已存在', '注册成功']);
      const rows = (await ds.query('SELECT id FROM `user` WHERE phone = ?', [phone])) as unknown[];
      expect(rows).toHaveLength(1);
    }
  });

  it('a password changed on one replica refuses the old token on the other, over HTTP and at the upgrade', async () => {
    const user = await register();
    // Replica 2 has the token's epoch cached.
    expect(await call(r2.httpUrl, '/user/get_user_info.do', {}, user.token)).toMatchObject({ status: 0 });
    const changed = await call(r1.httpUrl, '/user/login_reset_password.do', { password: 'new-password' }, user.token);
    expect(changed.status).toBe(0);
    await sleep(1000);
    expect(await call(r2.httpUrl, '/user/get_user_info.do', {}, user.token)).toEqual({ status: 1, msg: '用户未登录' });
    await expect(TestClient.open(chatUrl(r2.wsUrl, user.id, user.token))).rejects.toThrow('HTTP 401');
    const fresh = (changed.data as { token: string }).token;
    expect(await call(r2.httpUrl, '/user/get_user_info.do', {}, fresh)).toMatchObject({ status: 0 });
  });

  it('friends policy and blocking: a message, typing and a read from the blocked user on the other replica never reach the blocker', async () => {
    const a = await register();
    const b = await register();
    const aSock = await TestClient.openV2(chatUrl(r1.wsUrl, a.id, a.token));
    const bSock = await TestClient.openV2(chatUrl(r2.wsUrl, b.id, b.token));

    // Not friends yet (CHAT_POLICY=friends): refused before anything is stored.
    bSock.send({ to: a.id, text: 'hi stranger', clientMsgId: 'nf-1' });
    expect(await bSock.nextMatching((f) => f.code !== undefined || f.type === 'ack')).toMatchObject({ code: 'NOT_FRIENDS', text: '对方不是你的好友' });

    // Friends (both follow, each on another replica): B's message reaches A; the relation is now cached on replica 2.
    expect(await call(r1.httpUrl, '/friend/concern.do', { friendId: b.id }, a.token)).toEqual({ status: 0, msg: '关注成功' });
    expect(await call(r2.httpUrl, '/friend/concern.do', { friendId: a.id }, b.token)).toEqual({ status: 0, msg: '关注成功' });
    await sleep(1000);
    bSock.send({ to: a.id, text: 'hello friend', clientMsgId: 'f-1' });
    expect(await bSock.nextMatching((f) => f.code !== undefined || f.type === 'ack')).toMatchObject({ type: 'ack' });
    const first = await aSock.nextMatching((f) => f.text === 'hello friend');
    const seq = Number(first.seq);

    // A blocks B on replica 1; within a second replica 2 refuses B's message, typing and read.
    expect(await call(r1.httpUrl, '/user/block.do', { userId: b.id }, a.token)).toEqual({ status: 0, msg: '屏蔽成功' });
    await sleep(1000);
    bSock.send({ to: a.id, text: 'after the block', clientMsgId: 'b-1' });
    expect(await bSock.nextMatching((f) => f.code !== undefined || f.type === 'ack')).toMatchObject({ code: 'BLOCKED', text: '消息已发出，但被对方拒收了', clientMsgId: 'b-1' });
    bSock.send({ type: 'typing', friendId: a.id });
    expect(await bSock.nextMatching((f) => f.code !== undefined)).toMatchObject({ code: 'BLOCKED' });
    // A writes to B (A did not block... B may still receive A), then B's read receipt is refused.
    aSock.send({ to: b.id, text: 'you are blocked', clientMsgId: 'a-1' });
    const fromA = await bSock.nextMatching((f) => f.text === 'you are blocked');
    bSock.send({ type: 'read', friendId: a.id, seq: Number(fromA.seq) });
    expect(await bSock.nextMatching((f) => f.code !== undefined)).toMatchObject({ code: 'BLOCKED' });
    // A saw nothing of B after the block: no message, no typing, no read receipt (its own ack and
    // delivered receipts for its message to B may come).
    await sleep(1000);
    const seen: Record<string, unknown>[] = [];
    for (;;) {
      const f = await aSock.next(200).catch(() => null);
      if (!f) break;
      seen.push(f);
    }
    expect(seen.filter((f) => f.senderId === b.id || f.type === 'typing' || (f.type === 'read' && f.by === b.id))).toEqual([]);
    const stored = (await ds.query('SELECT text FROM `message` WHERE sender = ? ORDER BY id', [b.id])) as { text: string }[];
    expect(stored.map((m) => m.text)).toEqual(['hello friend']);
    expect(seq).toBeGreaterThan(0);
    // No push was prepared for anything B tried after the block (nothing past 'hello friend').
    const jobs = (await ds.query('SELECT COUNT(*) AS n FROM push_job WHERE user_id = ? AND friend_id = ? AND last_seq > ?', [a.id, b.id, seq])) as { n: number }[];
    expect(Number(jobs[0].n)).toBe(0);

    // Unblocked on replica 2 this time: replica 2 lets B through again.
    expect(await call(r2.httpUrl, '/user/unblock.do', { userId: b.id }, a.token)).toEqual({ status: 0, msg: '已取消屏蔽' });
    await sleep(1000);
    bSock.send({ to: a.id, text: 'back again', clientMsgId: 'b-2' });
    expect(await bSock.nextMatching((f) => f.code !== undefined || f.type === 'ack')).toMatchObject({ type: 'ack' });
    await aSock.nextMatching((f) => f.text === 'back again');

    // Unfollowing ends the friendship under the friends policy, on the other replica too.
    expect(await call(r1.httpUrl, '/friend/unconcern.do', { friendId: b.id }, a.token)).toEqual({ status: 0, msg: '取关成功' });
    await sleep(1000);
    bSock.send({ to: a.id, text: 'still friends?', clientMsgId: 'b-3' });
    expect(await bSock.nextMatching((f) => f.code !== undefined || f.type === 'ack')).toMatchObject({ code: 'NOT_FRIENDS' });
    await Promise.all([aSock.close(), bSock.close()]);
  });
});
