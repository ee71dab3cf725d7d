import { ShutdownState } from '../../apps/chat-gateway/src/shared/shutdown-state';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, Frame, TestClient } from '../support/ws-client';

// What answers a client's frame (CONTRACT sections 1 and 4): every error frame carries back the
// frame's clientMsgId and its other party, on legacy and v2 sockets, typed frames included; typing
// reaches only someone the user talks with, and says nothing about which ids exist.

type User = Awaited<ReturnType<TestApp['newUser']>>;

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const isError = (f: Frame) => f.code !== undefined;

describe('answers to frames', () => {
  const db = tempSqlite();
  let suite: TestApp;
  const clients: TestClient[] = [];
  const open = async (u: User, v2 = false) => {
    const url = chatUrl(suite.wsUrl, u.id, u.token);
    const c = v2 ? await TestClient.openV2(url) : await TestClient.open(url);
    clients.push(c);
    return c;
  };
  /** a and b have talked: b sent a two messages (a has read nothing). */
  const pair = async (): Promise<[User, User]> => {
    const [a, b] = [await suite.newUser(), await suite.newUser()];
    const ca = await open(a, true);
    const cb = await open(b, true);
    for (const i of [1, 2]) {
      cb.send({ to: a.id, text: `m${i}`, clientMsgId: `m${i}` });
      await cb.nextMatching((f) => f.type === 'ack');
      await ca.nextMatching((f) => f.text === `m${i}`);
    }
    return [a, b];
  };

  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: db.url });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await suite?.close();
    db.remove();
  });

  for (const v2 of [false, true]) {
    const kind = v2 ? 'v2' : 'legacy';
    it(`carries clientMsgId and the friend back on errors answering typed frames (${kind} socket)`, async () => {
      const [a, b] = await pair();
      const stranger = await suite.newUser();
      const ca = await open(a, v2);
      // Android-style compact frames and iOS-style pretty ones with string ids.
      ca.send(JSON.stringify({ type: 'read', friendId: b.id, seq: 9, clientMsgId: 'r-1' }));
      expect(await ca.nextMatching(isError)).toEqual({ id: null, sender: 0, to: b.id, text: expect.any(String), createTime: expect.stringMatching(TIME), code: 'READ_PAST_END', clientMsgId: 'r-1' });
      ca.send(JSON.stringify({ type: 'read', friendId: String(stranger.id), seq: 1, clientMsgId: 'r-2' }, null, 2));
      expect(await ca.nextMatching(isError)).toMatchObject({ id: null, sender: 0, to: stranger.id, code: 'NOT_IN_CONVERSATION', clientMsgId: 'r-2' });
      ca.send(JSON.stringify({ type: 'poke', friendId: b.id, clientMsgId: 'p-1' }));
      expect(await ca.nextMatching(isError)).toMatchObject({ to: b.id, code: 'UNKNOWN_TYPE', clientMsgId: 'p-1' });
      ca.send(JSON.stringify({ type: 'read', friendId: b.id, seq: 0, clientMsgId: 'r-3' }));
      expect(await ca.nextMatching(isError)).toMatchObject({ to: b.id, code: 'INVALID_FRAME', clientMsgId: 'r-3' });
      ca.send(JSON.stringify({ type: 'typing', to: String(b.id), clientMsgId: 't-1' }, null, 2));
      expect(await ca.nextMatching(isError)).toMatchObject({ to: b.id, code: 'INVALID_FRAME', clientMsgId: 't-1' });
      // Legacy error frames keep their shape: the additive fields only.
      ca.send(JSON.stringify({ type: 'read', friendId: b.id, seq: 9 }));
      expect(Object.keys(await ca.nextMatching(isError))).toEqual(['id', 'sender', 'to', 'text', 'createTime', 'code']);
    });
  }

  it('forwards typing to someone the user talks with, and drops typing to a stranger or a nonexistent id without a word', async () => {
    const [a, b] = await pair();
    const stranger = await suite.newUser();
    const ca = await open(a, true);
    const cb = await open(b, true);
    const cs = await open(stranger, true);
    ca.send({ type: 'typing', friendId: stranger.id, clientMsgId: 'x-1' });
    ca.send({ type: 'typing', friendId: 987_654_321, clientMsgId: 'x-2' });
    ca.send({ type: 'typing', friendId: b.id });
    await expect(cb.nextMatching((f) => f.type === 'typing')).resolves.toEqual({ type: 'typing', friendId: a.id });
    // Processed in order: both earlier frames were handled before b's notice went out.
    ca.send({ to: b.id, text: 'marker', clientMsgId: 'mk' });
    await ca.nextMatching((f) => f.type === 'ack');
    expect(ca.pending().filter(isError)).toEqual([]);
    await cs.expectSilence(200);
  });
});

describe('answers while the replica shuts down', () => {
  const db = tempSqlite();
  let suite: TestApp;
  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await suite?.close();
    db.remove();
  });

  it('refuses frames with STORE_UNAVAILABLE carrying the frame’s to and clientMsgId', async () => {
    const [a, b] = [await suite.newUser(), await suite.newUser()];
    const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    suite.app.get(ShutdownState).begin();
    ca.send(JSON.stringify({ senderId: a.id, to: b.id, text: 'late', clientMsgId: 'sd-1' }));
    expect(await ca.next()).toEqual({ id: null, sender: 0, to: b.id, text: expect.any(String), createTime: expect.stringMatching(TIME), code: 'STORE_UNAVAILABLE', clientMsgId: 'sd-1' });
    ca.send(JSON.stringify({ senderId: String(a.id), to: String(b.id), text: 'late too' }, null, 2));
    expect(await ca.next()).toMatchObject({ to: b.id, code: 'STORE_UNAVAILABLE' });
    ca.send('not json');
    expect(await ca.next()).toMatchObject({ to: null, code: 'STORE_UNAVAILABLE' });
    ca.ws.terminate();
  });
});
