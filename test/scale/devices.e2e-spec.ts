import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, isCi, testMariaDbUrl, testRedisPrefix, testRedisUrl } from '../support/infra';
import { sleep, waitFor } from '../support/wait';
import { chatUrl, TestClient } from '../support/ws-client';

// A user's several devices as the real apps talk (CONTRACT section 1, "Delivery"): a phone and a
// tablet on different replicas, legacy apps that cannot drop a repeat and show every frame as the
// friend's words.

jest.setTimeout(90_000);

type Directory = Awaited<ReturnType<typeof openTestDirectory>>;
type User = Awaited<ReturnType<Directory['newUser']>>;

/** The Android app: numeric ids, compact JSON. */
const android = (from: User, to: User, text: string) => JSON.stringify({ senderId: from.id, to: to.id, text });
/** The iOS app: string ids, pretty-printed over several lines. */
const ios = (from: User, to: User, text: string) => JSON.stringify({ senderId: String(from.id), to: String(to.id), text }, null, 2);

describeMariaDb('several devices of one user across replicas', () => {
  let dir: Directory;
  let g1: GatewayProcess;
  let g2: GatewayProcess;
  const clients: TestClient[] = [];
  const open = async (g: GatewayProcess, u: User, v2 = false) => {
    const c = v2 ? await TestClient.openV2(chatUrl(g.wsUrl, u.id, u.token)) : await TestClient.open(chatUrl(g.wsUrl, u.id, u.token));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    if (!testRedisUrl()) {
      if (isCi()) throw new Error('CI=true but Redis is unreachable');
      return;
    }
    dir = await openTestDirectory(testMariaDbUrl()!);
    // Confirmation rounds far apart: without the other replica's confirmation at connect, what the
    // first device got is surely still unrecorded when the second one connects.
    const env = {
      DATABASE_URL: testMariaDbUrl()!,
      REDIS_URL: testRedisUrl()!,
      REDIS_KEY_PREFIX: `${testRedisPrefix()}devices:`,
      CHAT_RATE_LIMIT_COUNT: '0',
      CHAT_CONFIRM_DELAY_MS: '10000',
    };
    [g1, g2] = await Promise.all([GatewayProcess.start(env, { readyTimeoutMs: 60_000 }), GatewayProcess.start(env, { readyTimeoutMs: 60_000 })]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all([g1?.stop(), g2?.stop()]);
    await dir?.close();
  });

  const cases = [
    { name: 'Android phone on replica 1, iOS tablet on replica 2', first: () => g1, second: () => g2, shape: android },
    { name: 'iOS phone on replica 2, Android tablet on replica 1', first: () => g2, second: () => g1, shape: ios },
  ];
  for (const { name, first, second, shape } of cases) {
    it(`a device connecting on another replica gets nothing the first one received (${name})`, async () => {
      const a = await dir.newUser();
      const b = await dir.newUser();
      const ca = await open(first(), a);
      const phone = await open(first(), b);
      for (let i = 1; i <= 3; i++) ca.send(shape(a, b, `m${i}`));
      expect((await phone.nextN(3)).map((f) => f.text)).toEqual(['m1', 'm2', 'm3']);

      const tablet = await open(second(), b);
      // Once the tablet is attached (its replica asks the other one to confirm, within 1.5 s), a
      // live message; had the three come again, they would be its backlog, written before it.
      await sleep(2500);
      ca.send(shape(a, b, 'after'));
      await expect(tablet.next()).resolves.toMatchObject({ text: 'after', senderId: a.id });
      await expect(phone.next()).resolves.toMatchObject({ text: 'after' });
    });
  }

  it('still gives a new device what no device received', async () => {
    const a = await dir.newUser();
    const b = await dir.newUser();
    const ca = await open(g1, a);
    const phone = await open(g1, b);
    ca.send(android(a, b, 'seen'));
    await expect(phone.next()).resolves.toMatchObject({ text: 'seen' });
    await phone.close();
    // Its clean close recorded what it got.
    await waitFor('recorded', async () => Number(((await dir.ds.query('SELECT delivered_seq AS d FROM conversation_member WHERE user_id = ? AND friend_id = ?', [b.id, a.id])) as { d: number }[])[0]?.d) === 1);
    ca.send(android(a, b, 'unseen'));
    await waitFor('stored', async () => Number(((await dir.ds.query('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [a.id])) as { n: number }[])[0].n) === 2);
    const tablet = await open(g2, b);
    await expect(tablet.next()).resolves.toMatchObject({ text: 'unseen' });
    ca.send(android(a, b, 'live'));
    await expect(tablet.next()).resolves.toMatchObject({ text: 'live' });
  });

  it('gives a device connecting on another replica right after the first closed nothing the first one got', async () => {
    const a = await dir.newUser();
    const b = await dir.newUser();
    const ca = await open(g1, a);
    const phone = await open(g1, b);
    for (let i = 1; i <= 3; i++) ca.send(android(a, b, `c${i}`));
    expect((await phone.nextN(3)).map((f) => f.text)).toEqual(['c1', 'c2', 'c3']);
    await phone.close(); // clean: what it got counts, written a moment later
    const tablet = await open(g2, b);
    await sleep(2500); // attached
    ca.send(android(a, b, 'live'));
    await expect(tablet.next()).resolves.toMatchObject({ text: 'live' });
  });

  it("does not send a user's own message to its other legacy devices; its v2 devices get it", async () => {
    const a = await dir.newUser();
    const b = await dir.newUser();
    const aPhone = await open(g1, a);
    const aLegacyHere = await open(g1, a);
    const aLegacyThere = await open(g2, a);
    const aModern = await open(g2, a, true);
    const cb = await open(g2, b);
    await sleep(2500); // every socket attached
    aPhone.send(ios(a, b, 'mine'));
    await expect(cb.next()).resolves.toMatchObject({ text: 'mine', senderId: a.id });
    await expect(aModern.next()).resolves.toMatchObject({ text: 'mine', senderId: a.id, to: b.id, seq: 1 });
    // The friend's answer is the first thing the legacy devices get: an unchanged app would have
    // shown 'mine' as the friend's words.
    cb.send(android(b, a, 'theirs'));
    for (const c of [aLegacyHere, aLegacyThere, aPhone]) await expect(c.next()).resolves.toMatchObject({ text: 'theirs', senderId: b.id });
  });
});

describeMariaDb('CHAT_LEGACY_ECHO=true', () => {
  let dir: Directory;
  let g: GatewayProcess;
  beforeAll(async () => {
    dir = await openTestDirectory(testMariaDbUrl()!);
    g = await GatewayProcess.start({ DATABASE_URL: testMariaDbUrl()!, CHAT_RATE_LIMIT_COUNT: '0', CHAT_LEGACY_ECHO: 'true' });
  });
  afterAll(async () => {
    await g?.stop();
    await dir?.close();
  });

  it("gives a user's own message to its other legacy devices, as the operator asked", async () => {
    const a = await dir.newUser();
    const b = await dir.newUser();
    const a1 = await TestClient.open(chatUrl(g.wsUrl, a.id, a.token));
    const a2 = await TestClient.open(chatUrl(g.wsUrl, a.id, a.token));
    a1.send(android(a, b, 'echoed'));
    await expect(a2.next()).resolves.toMatchObject({ text: 'echoed', senderId: a.id, to: b.id });
    await Promise.all([a1.close(), a2.close()]);
  });
});
