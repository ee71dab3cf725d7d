import { DataSource } from 'typeorm';
import { sleep, waitFor } from '../support/wait';
import { CuttableProxy } from '../support/cuttable-proxy';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { opsAuth, startSuite, TestApp } from '../support/test-app';
import { chatUrl, Frame, TestClient } from '../support/ws-client';
import { dataSourceOptions } from '@app/database';

// The database stalls (packets dropped, no reset) or loses the answer to a commit: every send
// gets an answer within its store timeout, and what was answered STORE_UNAVAILABLE is either
// never stored, or (when the database had committed it) acked and delivered once it answers.

jest.setTimeout(90_000);

type User = Awaited<ReturnType<TestApp['newUser']>>;

describeMariaDb('chat gateway while the database stalls', () => {
  let proxy: CuttableProxy;
  let suite: TestApp;
  let direct: DataSource;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    proxy = await CuttableProxy.start(testMariaDbUrl()!);
    suite = await startSuite({
      DATABASE_URL: proxy.url,
      CHAT_STORE_TIMEOUT_MS: '1500',
      CHAT_READ_TIMEOUT_MS: '1500',
      CHAT_CONFIRM_DELAY_MS: '100',
    });
    direct = new DataSource(dataSourceOptions(testMariaDbUrl()!, false));
    await direct.initialize();
  });
  afterEach(async () => {
    await proxy.restore();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await suite?.close();
    await direct?.destroy();
    await proxy?.close();
  });

  const open = async (user: User) => {
    const c = await TestClient.open(chatUrl(suite.wsUrl, user.id, user.token));
    clients.push(c);
    return c;
  };
  const stored = async (sender: User, keys: string[]) =>
    (await direct.query('SELECT client_msg_id FROM `message` WHERE sender = ? AND client_msg_id IN (?)', [sender.id, keys])) as { client_msg_id: string }[];

  it('answers every send STORE_UNAVAILABLE within its timeout while the database stalls, and never stores it later', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await open(a);
    const cb = await open(b);
    ca.send({ to: b.id, text: 'before', clientMsgId: 'st-0' });
    await expect(ca.next()).resolves.toMatchObject({ type: 'ack', clientMsgId: 'st-0' });
    await cb.next();

    await proxy.stall();
    for (let i = 1; i <= 3; i++) ca.send({ to: b.id, text: `during ${i}`, clientMsgId: `st-${i}` });
    const answers: Frame[] = [];
    // Bounded well above the 1.5 s store timeout; without a bound the sender waited as long as the stall.
    for (let i = 0; i < 3; i++) answers.push(await ca.next(10_000));
    // Each refusal names its send; refusals of sends in different batches may come in any order.
    answers.sort((x, y) => String(x.clientMsgId).localeCompare(String(y.clientMsgId)));
    expect(answers).toEqual([1, 2, 3].map((i) => expect.objectContaining({ id: null, code: 'STORE_UNAVAILABLE', clientMsgId: `st-${i}` })));
    await sleep(500);
    await proxy.restore();
    // What the stalled connections still held reaches the database now: it must write nothing.
    await sleep(3000);
    expect(await stored(a, ['st-1', 'st-2', 'st-3'])).toEqual([]);
    ca.send({ to: b.id, text: 'after', clientMsgId: 'st-4' });
    const after = await ca.nextMatching((f) => f.type === 'ack', 10_000);
    expect(after).toMatchObject({ clientMsgId: 'st-4' });
    await expect(cb.nextMatching((f) => f.text === 'after', 10_000)).resolves.toMatchObject({ id: after.id });
    // Positions stay gapless: nothing was reserved for the refused sends.
    const rows = await direct.query('SELECT seq FROM `message` WHERE sender = ? ORDER BY seq', [a.id]);
    expect(rows.map((r: { seq: number }) => Number(r.seq))).toEqual([1, 2]);
  });

  it('answers an upgrade 503 rather than hang while the database stalls', async () => {
    const fresh = await suite.newUser();
    await proxy.stall();
    const refusal = await Promise.race([
      TestClient.refusal(chatUrl(suite.wsUrl, fresh.id, fresh.token)),
      sleep(15_000).then(() => ({ status: 0, body: 'no answer' })),
    ]);
    expect(refusal.status).toBe(503);
    expect(refusal.body).toContain('"status":1');
  });

  it('acks late, and delivers, a send whose commit succeeded while its answer was lost', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await open(a);
    const cb = await open(b);
    ca.send({ to: b.id, text: 'warm', clientMsgId: 'late-0' });
    await ca.next();
    await cb.next();

    await proxy.holdReplies();
    ca.send({ to: b.id, text: 'committed in the dark', clientMsgId: 'late-1' });
    const refusal = await ca.next(10_000);
    expect(refusal).toMatchObject({ code: 'STORE_UNAVAILABLE', clientMsgId: 'late-1' });
    await waitFor('the row committed', async () => (await stored(a, ['late-1'])).length === 1, 10_000);
    await proxy.restore();
    // The database's answer arrives: the send was stored after all, with its receive time.
    const ack = await ca.nextMatching((f) => f.type === 'ack', 30_000);
    expect(ack).toMatchObject({ clientMsgId: 'late-1' });
    const got = await cb.nextMatching((f) => f.text === 'committed in the dark', 10_000);
    expect(got.id).toBe(ack.id);
    const [row] = await direct.query('SELECT create_time FROM `message` WHERE id = ?', [ack.id]);
    expect(row.create_time).toBe(ack.time);
  });

  it('delivers a send stored in time whose sender left before the late ack, and counts it as unanswered', async () => {
    const unanswered = async () => {
      const text = await (await fetch(`${suite.httpUrl}/metrics`, { headers: opsAuth })).text();
      return Number(/^chat_store_late_unanswered_total\{reason="socket-closed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await open(a);
    const cb = await open(b);
    ca.send({ to: b.id, text: 'warm', clientMsgId: 'gone-0' });
    await ca.next();
    await cb.next();
    const before = await unanswered();

    await proxy.holdReplies();
    ca.send({ to: b.id, text: 'committed, sender gone', clientMsgId: 'gone-1' });
    await expect(ca.next(10_000)).resolves.toMatchObject({ code: 'STORE_UNAVAILABLE', clientMsgId: 'gone-1' });
    await ca.close();
    await waitFor('the row committed', async () => (await stored(a, ['gone-1'])).length === 1, 10_000);
    await proxy.restore();
    // Delivered all the same (persisted first), and recorded as an answer its sender never got.
    const got = await cb.nextMatching((f) => f.text === 'committed, sender gone', 30_000);
    expect(got.id).toEqual(expect.any(Number));
    await waitFor('the unanswered late store counted', async () => (await unanswered()) === before + 1, 10_000);
  });

  it('records delivered positions that failed to write once the database is back, so nothing comes twice', async () => {
    const [a, b] = await Promise.all([suite.newUser(), suite.newUser()]);
    const ca = await open(a);
    const cb = await open(b);
    for (let i = 0; i < 5; i++) ca.send({ to: b.id, text: `m${i}`, clientMsgId: `dp-${i}` });
    await ca.nextN(5);
    await cb.nextN(5);
    // The confirmation round runs and its write fails while the database is cut.
    await proxy.cut();
    await sleep(800);
    await proxy.restore();
    await waitFor(
      'the delivered position',
      async () => {
        const [row] = await direct.query('SELECT delivered_seq FROM conversation_member WHERE user_id = ? AND friend_id = ?', [b.id, a.id]);
        return Number(row?.delivered_seq) === 5;
      },
      15_000,
    );
    await cb.close();
    const again = await open(b);
    await again.expectSilence(800);
  });
});
