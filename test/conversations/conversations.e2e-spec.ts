import { DataSource } from 'typeorm';
import { CONVERSATION_QUERIES } from '@app/database';
import { sleep, waitFor } from '../support/wait';
import { GatewayProcess } from '../support/gateway-process';
import { describeMariaDb, isCi, testMariaDbUrl, testRedisPrefix, testRedisUrl } from '../support/infra';
import { startSuite, TestApp } from '../support/test-app';
import { chatUrl, Frame, TestClient } from '../support/ws-client';
import { postForm } from '../support/form-post';

// Protocol v2 (CONTRACT section 4) across two replicas meeting through Redis and MariaDB: replica
// 1 is the all-in-one suite (gateway and history API in one process), replica 2 a gateway process
// of its own. Every socket of these tests is a real `ws` client.

jest.setTimeout(120_000);

type User = Awaited<ReturnType<TestApp['newUser']>>;

interface ListItem {
  friendId: number;
  friendName: string;
  unread: number;
  readSeq: number;
  friendReadSeq: number;
  lastMessage: { id: number; seq: number; senderId: number; sender: string; text: string; time: string };
}
interface ListAnswer {
  status: number;
  msg?: string;
  data: { list: ListItem[]; nextCursor: string | null; totalUnread: number };
}

const isMessage = (f: Frame) => f.type === undefined && f.id !== null && f.id !== undefined;
const typed = (type: string) => (f: Frame) => f.type === type;

describeMariaDb('protocol v2 across two replicas', () => {
  let suite: TestApp;
  let g2: GatewayProcess;
  let ds: DataSource;
  const open: TestClient[] = [];

  beforeAll(async () => {
    if (!testRedisUrl()) {
      if (isCi()) throw new Error('CI=true but Redis is unreachable');
      return;
    }
    const env = {
      DATABASE_URL: testMariaDbUrl()!,
      REDIS_URL: testRedisUrl()!,
      REDIS_KEY_PREFIX: `${testRedisPrefix()}v2:`,
      CHAT_RATE_LIMIT_COUNT: '0',
      CHAT_INBOUND_FRAMES_PER_SEC: '0',
      CHAT_CONFIRM_DELAY_MS: '100',
    };
    [suite, g2] = await Promise.all([startSuite(env), GatewayProcess.start(env)]);
    ds = suite.app.get(DataSource);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all([suite?.close(), g2?.stop()]);
  });

  const connect = async (user: User, replica: 1 | 2, v2 = true): Promise<TestClient> => {
    const url = chatUrl(replica === 1 ? suite.wsUrl : g2.wsUrl, user.id, user.token);
    const c = v2 ? await TestClient.openV2(url) : await TestClient.open(url);
    open.push(c);
    return c;
  };

  const post = async <T>(path: string, user: User, form: Record<string, string | number>): Promise<T> => {
    const { status, body } = await postForm<T>(suite.httpUrl, `/chat_message/${path}`, user.token, form);
    expect(status).toBe(200);
    return body;
  };
  const list = (user: User, form: Record<string, string | number> = {}) => post<ListAnswer>('get_Conversation_List.do', user, form);
  const itemFor = async (user: User, friend: User) => (await list(user, { limit: 100 })).data.list.find((i) => i.friendId === friend.id);

  /** Sends `count` messages with clientMsgIds and waits for every ack (so they are stored). */
  const sendAll = async (from: TestClient, to: User, prefix: string, count: number): Promise<Frame[]> => {
    for (let i = 0; i < count; i++) from.send({ to: to.id, text: `${prefix}${i}`, clientMsgId: `${prefix}-${i}` });
    const acks: Frame[] = [];
    while (acks.length < count) acks.push(await from.nextMatching(typed('ack'), 20_000));
    return acks;
  };

  it('gives v2 sockets seq and clientMsgId, and legacy sockets the very frames they always got', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const aV2 = await connect(a, 1);
    const aOther = await connect(a, 2);
    const bLegacy = await connect(b, 2, false);
    const bV2 = await connect(b, 1);
    aV2.send({ to: b.id, text: '你好 🙂', clientMsgId: 'v2-1' });
    const ack = await aV2.nextMatching(typed('ack'));
    const [row] = await ds.query('SELECT id, seq, create_time FROM `message` WHERE id = ?', [ack.id]);
    expect(ack).toEqual({ type: 'ack', clientMsgId: 'v2-1', id: row.id, time: row.create_time, seq: row.seq });

    const legacyFrame = `{"sender":"${a.name}","text":"你好 🙂","time":"${row.create_time}","id":${row.id},"senderId":${a.id},"to":${b.id}}`;
    await bLegacy.nextMatching(isMessage);
    expect(bLegacy.raw).toEqual([legacyFrame]);
    expect(await bV2.nextMatching(isMessage)).toEqual({ ...JSON.parse(legacyFrame), seq: row.seq, clientMsgId: 'v2-1' });
    // The sender's other device matches its local echo by clientMsgId.
    expect(await aOther.nextMatching(isMessage)).toMatchObject({ id: row.id, seq: row.seq, clientMsgId: 'v2-1' });

    // A legacy socket that sends a clientMsgId gets the ack it always got: no seq.
    bLegacy.send({ to: a.id, text: 'back', clientMsgId: 'legacy-1' });
    const legacyAck = await bLegacy.nextMatching(typed('ack'));
    expect(Object.keys(legacyAck)).toEqual(['type', 'clientMsgId', 'id', 'time']);
  });

  it('never sends a typed frame to a legacy socket', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const bLegacy = await connect(b, 1, false);
    const bV2 = await connect(b, 2);
    const aV2 = await connect(a, 1);
    await sendAll(aV2, b, 'x', 3);
    aV2.send({ type: 'typing', friendId: b.id });
    await bV2.nextMatching(typed('typing'));
    bV2.send({ type: 'read', friendId: a.id, seq: 3 });
    await aV2.nextMatching(typed('read'));
    await aV2.nextMatching(typed('delivered'));
    bLegacy.send({ type: 'read', friendId: a.id, seq: 2 }); // any client may read; nothing answers it
    await sleep(500);
    expect(bLegacy.raw).toHaveLength(3);
    for (const raw of bLegacy.raw) expect(JSON.parse(raw)).not.toHaveProperty('type');
  });

  it('never counts your own messages as unread, also after reconnects', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    let ca = await connect(a, 1);
    const cb = await connect(b, 2);
    await sendAll(ca, b, 'mine', 4);
    await sendAll(cb, a, 'theirs', 2);
    for (let round = 0; round < 3; round++) {
      const item = await itemFor(a, b);
      expect(item).toMatchObject({ unread: 2, readSeq: 0 });
      expect(await itemFor(b, a)).toMatchObject({ unread: 4 + round });
      await ca.close();
      ca = await connect(a, round % 2 === 0 ? 2 : 1);
      await sendAll(ca, b, `again${round}`, 1);
    }
    expect((await list(a)).data.totalUnread).toBe(2);
    expect(await itemFor(b, a)).toMatchObject({ unread: 7 });
  });

  it('counts unread exactly past 10, 100 and 1000', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const cb = await connect(b, 2);
    let sent = 0;
    for (const upTo of [11, 101, 1003]) {
      await sendAll(cb, a, `n${upTo}-`, upTo - sent);
      sent = upTo;
      const answer = await list(a);
      expect(answer.data.list[0]).toMatchObject({ friendId: b.id, unread: upTo });
      expect(answer.data.totalUnread).toBe(upTo);
    }
    const ca = await connect(a, 1);
    ca.send({ type: 'read', friendId: b.id, seq: 1000 });
    await waitFor('the read position', async () => (await itemFor(a, b))?.readSeq === 1000);
    expect(await itemFor(a, b)).toMatchObject({ unread: 3 });
  });

  it("clears the badge on the reader's device on another replica and shows the friend the read tick", async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const a1 = await connect(a, 1);
    const a2 = await connect(a, 2);
    const cb = await connect(b, 2);
    const acks = await sendAll(cb, a, 'hi', 3);
    const last = acks[2].seq as number;
    await a1.nextMatching((f) => isMessage(f) && f.seq === last);
    a1.send({ type: 'read', friendId: b.id, seq: last });
    const onOther = await a2.nextMatching(typed('read'));
    expect(onOther).toEqual({ type: 'read', friendId: b.id, by: a.id, seq: last, time: expect.any(String) });
    const tick = await cb.nextMatching(typed('read'));
    expect(tick).toMatchObject({ type: 'read', friendId: a.id, by: a.id, seq: last });
    expect(await itemFor(a, b)).toMatchObject({ unread: 0, readSeq: last });
    expect(await itemFor(b, a)).toMatchObject({ friendReadSeq: last });
    // The reading socket itself gets no echo of its own read.
    await a1.expectSilence(300).catch(() => undefined);
    expect(a1.pending().filter(typed('read'))).toHaveLength(0);
  });

  it('counts a message that arrives while the list is being read once (client rule: live seq above the listed last seq)', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const cb = await connect(b, 2);
    const ca = await connect(a, 1);
    await sendAll(cb, a, 'base', 1);
    for (let i = 0; i < 15; i++) {
      cb.send({ to: a.id, text: `race${i}`, clientMsgId: `race-${i}` });
      const answer = await list(a);
      const live = await ca.nextMatching((f) => isMessage(f) && f.text === `race${i}`);
      const item = answer.data.list.find((x) => x.friendId === b.id)!;
      // The list's count and last message come from one snapshot: the live message is in both or in neither.
      const counted = item.lastMessage.seq >= (live.seq as number);
      expect(item.unread).toBe(1 + i + (counted ? 1 : 0));
      expect(answer.data.totalUnread).toBe(item.unread);
      await cb.nextMatching(typed('ack'));
    }
    expect(await itemFor(a, b)).toMatchObject({ unread: 16 });
  });

  it('refuses a read position past the end and a read by someone outside the conversation', async () => {
    const [a, b, c] = await Promise.all([suite.newUser(), suite.newUser(), suite.newUser()]);
    const cb = await connect(b, 2);
    const acks = await sendAll(cb, a, 'r', 2);
    const ca = await connect(a, 1);
    ca.send({ type: 'read', friendId: b.id, seq: (acks[1].seq as number) + 1 });
    expect(await ca.nextMatching((f) => f.code !== undefined)).toMatchObject({ id: null, sender: 0, code: 'READ_PAST_END', to: b.id });
    const cc = await connect(c, 2);
    cc.send({ type: 'read', friendId: a.id, seq: 1 });
    expect(await cc.nextMatching((f) => f.code !== undefined)).toMatchObject({ code: 'NOT_IN_CONVERSATION' });
    expect(await post('mark_Read.do', c, { friendId: a.id, seq: 1 })).toEqual({ status: 1, msg: expect.stringContaining('no conversation') });
    expect(await post('mark_Read.do', a, { friendId: b.id, seq: 99 })).toEqual({ status: 1, msg: expect.stringContaining('past the last message') });
    // Over HTTP the same read reaches the friend's sockets.
    expect(await post('mark_Read.do', a, { friendId: b.id, seq: 2 })).toEqual({ status: 0, data: { friendId: b.id, readSeq: 2, unread: 0 } });
    expect(await cb.nextMatching(typed('read'))).toMatchObject({ friendId: a.id, by: a.id, seq: 2 });
    // A lower position changes nothing.
    expect(await post('mark_Read.do', a, { friendId: b.id, seq: 1 })).toEqual({ status: 0, data: { friendId: b.id, readSeq: 2, unread: 0 } });
  });

  it('brings delivered receipts to a sender on another replica', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await connect(a, 1);
    const cb = await connect(b, 2);
    const acks = await sendAll(ca, b, 'd', 5);
    await cb.nextMatching((f) => isMessage(f) && f.seq === acks[4].seq);
    // Receipts are coalesced: the last one names the highest position.
    const receipts: Frame[] = [];
    while (!receipts.some((r) => r.seq === acks[4].seq)) receipts.push(await ca.nextMatching(typed('delivered'), 10_000));
    for (const r of receipts) expect(r).toEqual({ type: 'delivered', friendId: b.id, seq: expect.any(Number) });
    const [row] = await ds.query('SELECT delivered_seq FROM conversation_member WHERE user_id = ? AND friend_id = ?', [b.id, a.id]);
    expect(Number(row.delivered_seq)).toBe(acks[4].seq);
  });

  it('brings delivered receipts for the offline backlog: the friend connects after the messages were stored', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await connect(a, 1);
    const acks = await sendAll(ca, b, 'o', 3);
    const cb = await connect(b, 2);
    await cb.nextMatching((f) => isMessage(f) && f.seq === acks[2].seq);
    const receipts: Frame[] = [];
    while (!receipts.some((r) => r.seq === acks[2].seq)) receipts.push(await ca.nextMatching(typed('delivered'), 10_000));
    expect(receipts.at(-1)).toEqual({ type: 'delivered', friendId: b.id, seq: acks[2].seq });
  });

  it('forwards typing to the friend on another replica, at most once a second, and stores nothing', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await connect(a, 1);
    const cb = await connect(b, 2);
    // Typing is not kept for a socket still catching up: wait until B's socket is live (it has
    // had a live message), as a client shows typing only in an open conversation.
    await sendAll(ca, b, 't', 1);
    await cb.nextMatching(isMessage);
    const before = Number((await ds.query('SELECT COUNT(*) AS n FROM `message`'))[0].n);
    for (let i = 0; i < 5; i++) ca.send({ type: 'typing', friendId: b.id });
    expect(await cb.nextMatching(typed('typing'))).toEqual({ type: 'typing', friendId: a.id });
    await sleep(400);
    expect(cb.pending().filter(typed('typing'))).toHaveLength(0);
    await sleep(800);
    ca.send({ type: 'typing', friendId: b.id });
    expect(await cb.nextMatching(typed('typing'))).toEqual({ type: 'typing', friendId: a.id });
    expect(Number((await ds.query('SELECT COUNT(*) AS n FROM `message`'))[0].n)).toBe(before);
  });

  it('answers the same list right after a burst and after a restart', async () => {
    const users = await Promise.all([...Array(4).keys()].map(() => suite.newUser()));
    const sockets = await Promise.all(users.map((u, i) => connect(u, ((i % 2) + 1) as 1 | 2)));
    for (let i = 0; i < users.length; i++) {
      for (let j = 0; j < users.length; j++) if (i !== j) for (let k = 0; k < 3; k++) sockets[i].send({ to: users[j].id, text: `${i}>${j}:${k}` });
    }
    await waitFor('the burst stored', async () => Number((await ds.query('SELECT COUNT(*) AS n FROM `message` WHERE sender IN (?)', [users.map((u) => u.id)]))[0].n) === 36);
    sockets[0].send({ type: 'read', friendId: users[1].id, seq: 2 });
    await waitFor('the read', async () => (await itemFor(users[0], users[1]))?.readSeq === 2);
    const before = await Promise.all(users.map((u) => list(u)));
    for (const answer of before) {
      expect(answer.data.list).toHaveLength(3);
      expect(answer.data.list.map((x) => x.lastMessage.id)).toEqual([...answer.data.list.map((x) => x.lastMessage.id)].sort((x, y) => y - x));
    }
    await Promise.all(open.splice(0).map((c) => c.close()));
    await g2.stop();
    g2 = await GatewayProcess.start({
      DATABASE_URL: testMariaDbUrl()!,
      REDIS_URL: testRedisUrl()!,
      REDIS_KEY_PREFIX: `${testRedisPrefix()}v2:`,
      CHAT_RATE_LIMIT_COUNT: '0',
      CHAT_INBOUND_FRAMES_PER_SEC: '0',
      CHAT_CONFIRM_DELAY_MS: '100',
    });
    const after = await Promise.all(users.map((u) => list(u)));
    expect(after.map((x) => x.data)).toEqual(before.map((x) => x.data));
  });

  it('reads the list page and the total unread through indexes only (EXPLAIN)', async () => {
    const me = await suite.newUser();
    const plan = async (sql: string, params: unknown[]) =>
      ((await ds.query(`EXPLAIN ${sql}`, params)) as { table: string; type: string; key: string | null }[]).map((r) => [r.table, r.type, r.key]);
    expect(await plan(CONVERSATION_QUERIES.listPage, [me.id, Number.MAX_SAFE_INTEGER, 20])).toEqual([
      ['cm', 'range', 'idx_member_recent'],
      ['f', 'eq_ref', 'PRIMARY'],
      ['u', 'eq_ref', 'PRIMARY'],
      ['m', 'eq_ref', 'PRIMARY'],
      ['su', 'eq_ref', 'PRIMARY'],
    ]);
    const [total] = await plan(CONVERSATION_QUERIES.totalUnread, [me.id]);
    expect(total[2]).toMatch(/^(PRIMARY|idx_member_recent)$/);
    expect(total[1]).toMatch(/^(ref|range)$/);
  });

  it('pages the list by its cursor, most recent first, and refuses a cursor it did not make', async () => {
    const [a, ...friends] = await Promise.all([...Array(6).keys()].map(() => suite.newUser()));
    const ca = await connect(a, 1);
    for (const f of friends) await sendAll(ca, f, `p${f.id}-`, 1);
    const first = await list(a, { limit: 2 });
    expect(first.data.list.map((x) => x.friendId)).toEqual([friends[4].id, friends[3].id]);
    const second = await list(a, { limit: 2, cursor: first.data.nextCursor! });
    const third = await list(a, { limit: 2, cursor: second.data.nextCursor! });
    expect([...second.data.list, ...third.data.list].map((x) => x.friendId)).toEqual([friends[2].id, friends[1].id, friends[0].id]);
    expect(third.data.nextCursor).toBeNull();
    expect(await list(a, { cursor: 'not-ours' })).toEqual({ status: 1, msg: expect.stringContaining('cursor') });
    expect(await list(a, { limit: 101 })).toEqual({ status: 1, msg: expect.stringContaining('limit') });
    const [lonely] = await Promise.all([suite.newUser()]);
    expect(await list(lonely)).toEqual({ status: 0, data: { list: [], nextCursor: null, totalUnread: 0 } });
  });
});
