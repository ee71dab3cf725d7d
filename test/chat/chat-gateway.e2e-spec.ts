import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { sleep, waitFor } from '../support/wait';
import { chatUrl, Frame, TestClient } from '../support/ws-client';

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

type User = Awaited<ReturnType<TestApp['newUser']>>;

/** The whole gateway contract, run once per database engine. */
function gatewaySuite(engine: string, databaseUrl: () => string, cleanup: () => void = () => undefined) {
  describe(`chat gateway on ${engine}`, () => {
    let suite: TestApp;
    let db: DataSource;
    const clients: TestClient[] = [];

    const open = async (user: { id: number; token: string }, headers?: Record<string, string>) => {
      const c = await TestClient.open(chatUrl(suite.wsUrl, user.id, headers ? undefined : user.token), headers);
      clients.push(c);
      return c;
    };
    const rows = (sql: string, params: unknown[] = []) => db.query(sql, params) as Promise<Record<string, unknown>[]>;

    beforeAll(async () => {
      suite = await startSuite({ DATABASE_URL: databaseUrl() });
      db = suite.app.get(DataSource);
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await suite?.close();
      cleanup();
    });

    describe('legacy clients', () => {
      let a: User;
      let b: User;
      beforeAll(async () => {
        a = await suite.newUser();
        b = await suite.newUser('小明');
      });

      it('delivers an Android frame (numeric ids) as {sender, text, time} plus id/senderId/to', async () => {
        const ca = await open(a);
        const cb = await open(b);
        ca.send(`{"senderId":${a.id},"to":${b.id},"text":"hello from android"}`);
        const got = await cb.next();
        expect(Object.keys(got)).toEqual(['sender', 'text', 'time', 'id', 'senderId', 'to']);
        expect(got).toMatchObject({ sender: a.name, text: 'hello from android', senderId: a.id, to: b.id });
        expect(a.name).toMatch(/^手机用户\d+$/);
        expect(got.time).toMatch(TIME);
        const stored = await rows('SELECT sender, `to`, text, create_time, pending FROM `message` WHERE id = ?', [got.id]);
        expect(stored).toEqual([{ sender: a.id, to: b.id, text: 'hello from android', create_time: got.time, pending: expect.anything() }]);
        // The old server did not echo to the sender, and legacy frames get no ack.
        await ca.expectSilence();
      });

      it('delivers iOS frames (string ids, pretty-printed) and treats `heart` as keep-alive only', async () => {
        const ca = await open(a);
        const cb = await open(b);
        const before = await rows('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [b.id]);
        cb.send(JSON.stringify({ senderId: String(b.id), to: String(a.id), text: 'heart' }, null, 4));
        cb.send(JSON.stringify({ senderId: String(b.id), to: String(a.id), text: '你好\n第二行' }, null, 4));
        cb.send(JSON.stringify({ senderId: String(b.id), to: String(a.id), text: 'heart' }, null, 4));
        const got = await ca.next();
        expect(got).toMatchObject({ sender: '小明', text: '你好\n第二行', senderId: b.id, to: a.id });
        await ca.expectSilence();
        const after = await rows('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [b.id]);
        expect(Number(after[0].n) - Number(before[0].n)).toBe(1);
        await cb.expectSilence(100);
      });

      it('answers an unknown recipient with exactly the legacy error frame and keeps the socket open', async () => {
        const ca = await open(a);
        const cb = await open(b);
        ca.send({ senderId: a.id, to: 987654321, text: 'anyone?' });
        const err = await ca.next();
        expect(err).toEqual({ id: null, sender: 0, to: 987654321, text: '用户不存在', createTime: expect.stringMatching(TIME), code: 'USER_NOT_FOUND' });
        expect(Object.keys(err).slice(0, 5)).toEqual(['id', 'sender', 'to', 'text', 'createTime']);
        ca.send({ senderId: a.id, to: b.id, text: 'still here' });
        await expect(cb.next()).resolves.toMatchObject({ text: 'still here' });
      });

      it('round-trips emoji and other 4-byte characters through storage', async () => {
        const ca = await open(a);
        const cb = await open(b);
        const text = '😀🎉 𠀀𝄞 中文 ok';
        ca.send({ senderId: a.id, to: b.id, text });
        const got = await cb.next();
        expect(got.text).toBe(text);
        const stored = await rows('SELECT text FROM `message` WHERE id = ?', [got.id]);
        expect(stored[0].text).toBe(text);
      });

      it('accepts a frame without senderId', async () => {
        const ca = await open(a);
        const cb = await open(b);
        ca.send({ to: b.id, text: 'no sender id' });
        await expect(cb.next()).resolves.toMatchObject({ text: 'no sender id', senderId: a.id });
      });
    });

    describe('bad frames', () => {
      let a: User;
      let b: User;
      beforeAll(async () => {
        a = await suite.newUser();
        b = await suite.newUser();
      });

      const cases: [string, (a: User, b: User) => string, string, RegExp][] = [
        ['malformed JSON', () => '{"to": 1, "text": ', 'INVALID_FRAME', /JSON/],
        ['a JSON array', () => '[1,2]', 'INVALID_FRAME', /JSON 对象/],
        ['a missing to', (a) => JSON.stringify({ senderId: a.id, text: 'x' }), 'INVALID_FRAME', /"to"/],
        ['a non-numeric to', (a) => JSON.stringify({ senderId: a.id, to: 'bob', text: 'x' }), 'INVALID_FRAME', /正整数/],
        ['a negative to', (a) => JSON.stringify({ senderId: a.id, to: -3, text: 'x' }), 'INVALID_FRAME', /正整数/],
        ['an empty text', (a, b) => JSON.stringify({ senderId: a.id, to: b.id, text: '  ' }), 'TEXT_EMPTY', /不能为空/],
        ['a missing text', (a, b) => JSON.stringify({ senderId: a.id, to: b.id }), 'TEXT_EMPTY', /"text"/],
        ['a text over 500 characters', (a, b) => JSON.stringify({ senderId: a.id, to: b.id, text: '字'.repeat(501) }), 'TEXT_TOO_LONG', /500/],
        ['a spoofed senderId', (a, b) => JSON.stringify({ senderId: b.id, to: b.id, text: 'I am b' }), 'SENDER_MISMATCH', /senderId/],
        ['a bad clientMsgId', (a, b) => JSON.stringify({ to: b.id, text: 'x', clientMsgId: 'has space' }), 'INVALID_FRAME', /clientMsgId/],
        // Found under abuse: each was accepted before.
        ['a to with spaces', () => '{"to":" 6","text":"x"}', 'INVALID_FRAME', /正整数/],
        ['a message to oneself', (a) => JSON.stringify({ to: a.id, text: 'note to self' }), 'RECIPIENT_IS_SENDER', /自己/],
        ['a text of only zero-width spaces', (a, b) => JSON.stringify({ to: b.id, text: '\u200b\u200b\u200b' }), 'TEXT_EMPTY', /不能为空/],
        ['a text of only Hangul fillers', (a, b) => JSON.stringify({ to: b.id, text: '\u3164\u3164\u3164' }), 'TEXT_EMPTY', /不能为空/],
        ['a text of only blank Braille', (a, b) => JSON.stringify({ to: b.id, text: '\u2800\u2800' }), 'TEXT_EMPTY', /不能为空/],
        ['a text of only combining marks', (a, b) => JSON.stringify({ senderId: String(a.id), to: String(b.id), text: '\u0301\u0301\u0308' }, null, 2), 'TEXT_EMPTY', /不能为空/],
        ['a text of only NUL', (a, b) => `{"to":${b.id},"text":"\\u0000"}`, 'TEXT_INVALID', /NUL/],
        ['a text holding NUL', (a, b) => `{"senderId":${a.id},"to":${b.id},"text":"hi\\u0000there"}`, 'TEXT_INVALID', /NUL/],
        ['a lone surrogate', (a, b) => `{"to":${b.id},"text":"broken \\ud800 text"}`, 'TEXT_INVALID', /surrogate/],
        ['an unknown frame type', (a, b) => JSON.stringify({ type: 'poke', friendId: b.id }), 'UNKNOWN_TYPE', /poke/],
      ];

      it.each(cases)('answers %s with the legacy error frame and a reason, keeping the socket open', async (_name, frame, code, reason) => {
        const ca = await open(a);
        const cb = await open(b);
        ca.send(frame(a, b));
        const err = await ca.next();
        expect(err).toMatchObject({ id: null, sender: 0, code, createTime: expect.stringMatching(TIME) });
        expect(err.text).toMatch(reason);
        await cb.expectSilence(150);
        ca.send({ senderId: a.id, to: b.id, text: 'after the error' });
        await expect(cb.next()).resolves.toMatchObject({ text: 'after the error' });
      });

      it('accepts exactly 500 characters, counting an emoji as one', async () => {
        const ca = await open(a);
        const cb = await open(b);
        const text = '😀'.repeat(500);
        ca.send({ to: b.id, text });
        await expect(cb.next()).resolves.toMatchObject({ text });
      });

      it('answers a binary frame with an error frame', async () => {
        const ca = await open(a);
        ca.ws.send(Buffer.from([1, 2, 3]), { binary: true });
        await expect(ca.next()).resolves.toMatchObject({ id: null, sender: 0, code: 'BINARY_FRAME', text: expect.stringMatching(/binary/) });
        expect(ca.ws.readyState).toBe(WebSocket.OPEN);
      });

      it('closes with 1009 above the frame size limit, without harming the server', async () => {
        const ca = await open(a);
        ca.send({ to: b.id, text: 'x'.repeat(20_000) });
        await expect(ca.closed).resolves.toMatchObject({ code: 1009 });
        const again = await open(a);
        const cb = await open(b);
        again.send({ to: b.id, text: 'server still fine' });
        await expect(cb.next()).resolves.toMatchObject({ text: 'server still fine' });
      });
    });

    describe('upgrade refusals', () => {
      let a: User;
      let b: User;
      beforeAll(async () => {
        a = await suite.newUser();
        b = await suite.newUser();
      });

      it('refuses a missing token with 401', async () => {
        await expect(TestClient.refusal(`${suite.wsUrl}/chat/${a.id}`)).resolves.toMatchObject({ status: 401, body: expect.stringContaining('用户未登录') });
      });
      it('refuses a malformed or forged token with 401', async () => {
        await expect(TestClient.refusal(chatUrl(suite.wsUrl, a.id, 'not-a-token'))).resolves.toMatchObject({ status: 401 });
        const forged = a.token.slice(0, -4) + (a.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
        await expect(TestClient.refusal(chatUrl(suite.wsUrl, a.id, forged))).resolves.toMatchObject({ status: 401 });
      });
      it('refuses an expired token with 401', async () => {
        const { SignJWT } = await import('jose');
        const expired = await new SignJWT({ id: a.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt(Math.floor(Date.now() / 1000) - 100)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
          .sign(new TextEncoder().encode('test-secret-for-e2e-0123456789abcdef'));
        await expect(TestClient.refusal(chatUrl(suite.wsUrl, a.id, expired))).resolves.toMatchObject({ status: 401 });
      });
      it("refuses another user's token with 403", async () => {
        await expect(TestClient.refusal(chatUrl(suite.wsUrl, a.id, b.token))).resolves.toMatchObject({ status: 403 });
      });
      it.each(['abc', '0', '-1', '1.5', '99999999999999999999', '%E0%A4%A', '%31'])('refuses the id %s with 404', async (id) => {
        await expect(TestClient.refusal(chatUrl(suite.wsUrl, id, a.token))).resolves.toMatchObject({ status: 404 });
      });
      it('refuses a valid token of a user that does not exist with 404', async () => {
        const ghost = 2_000_000_000;
        await expect(TestClient.refusal(chatUrl(suite.wsUrl, ghost, await suite.token(ghost)))).resolves.toMatchObject({
          status: 404,
          body: expect.stringContaining('用户不存在'),
        });
      });
      it('refuses other paths with 404', async () => {
        await expect(TestClient.refusal(`${suite.wsUrl}/chat?token=${a.token}`)).resolves.toMatchObject({ status: 404 });
        await expect(TestClient.refusal(`${suite.wsUrl}/other/${a.id}?token=${a.token}`)).resolves.toMatchObject({ status: 404 });
      });
      it('accepts the token in the `token` header and as Authorization: Bearer', async () => {
        await expect(open(a, { token: a.token })).resolves.toBeInstanceOf(TestClient);
        await expect(open(a, { Authorization: `Bearer ${a.token}` })).resolves.toBeInstanceOf(TestClient);
      });
    });

    describe('delivery', () => {
      it('pushes offline messages at the next connect, in order, exactly once', async () => {
        const a = await suite.newUser();
        const b = await suite.newUser();
        const ca = await open(a);
        for (let i = 1; i <= 5; i++) ca.send({ senderId: a.id, to: b.id, text: `offline ${i}` });
        // Wait until all five are stored (no ack for legacy frames: poll the table).
        await waitFor('the 5 messages stored', async () => Number((await rows('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [a.id]))[0].n) === 5);
        const cb = await open(b);
        const got = await cb.nextN(5);
        expect(got.map((f) => f.text)).toEqual(['offline 1', 'offline 2', 'offline 3', 'offline 4', 'offline 5']);
        expect(got.every((f) => f.sender === a.name)).toBe(true);
        await cb.close();
        const again = await open(b);
        await again.expectSilence();
      });

      it('reaches every socket of the recipient and the sender’s other v2 devices, not the sending socket nor its other legacy ones', async () => {
        const a = await suite.newUser();
        const b = await suite.newUser();
        const a1 = await open(a);
        const a2 = await open(a);
        const a3 = await TestClient.openV2(chatUrl(suite.wsUrl, a.id, a.token));
        clients.push(a3);
        const b1 = await open(b);
        const b2 = await open(b);
        a1.send({ to: b.id, text: 'to all devices' });
        for (const c of [b1, b2, a3]) await expect(c.next()).resolves.toMatchObject({ text: 'to all devices', senderId: a.id, to: b.id });
        // An unchanged app would show its own words as the friend's.
        b1.send({ to: a.id, text: 'answer' });
        for (const c of [a1, a2]) await expect(c.next()).resolves.toMatchObject({ text: 'answer', senderId: b.id });
      });

      it('acks a clientMsgId once stored and stores a repeated one once, acking it with the same id', async () => {
        const a = await suite.newUser();
        const b = await suite.newUser();
        const ca = await open(a);
        const cb = await open(b);
        ca.send({ to: b.id, text: 'modern', clientMsgId: 'c-1' });
        const ack = await ca.next();
        expect(ack).toEqual({ type: 'ack', clientMsgId: 'c-1', id: expect.any(Number), time: expect.stringMatching(TIME) });
        await expect(cb.next()).resolves.toMatchObject({ id: ack.id, text: 'modern' });
        ca.send({ to: b.id, text: 'modern', clientMsgId: 'c-1' });
        await expect(ca.next()).resolves.toEqual(ack);
        await cb.expectSilence();
        // Both copies in one batch too.
        ca.send({ to: b.id, text: 'twice', clientMsgId: 'c-2' });
        ca.send({ to: b.id, text: 'twice', clientMsgId: 'c-2' });
        const [ack1, ack2] = await ca.nextN(2);
        expect(ack2).toEqual(ack1);
        await expect(cb.next()).resolves.toMatchObject({ id: ack1.id });
        await cb.expectSilence();
        const stored = await rows('SELECT client_msg_id FROM `message` WHERE sender = ? ORDER BY id', [a.id]);
        expect(stored.map((r) => r.client_msg_id)).toEqual(['c-1', 'c-2']);
      });

      it('refuses a clientMsgId reused for another recipient or text with its own code, storing nothing', async () => {
        const a = await suite.newUser();
        const b = await suite.newUser();
        const c = await suite.newUser();
        const ca = await open(a);
        const cb = await open(b);
        const cc = await open(c);
        ca.send({ to: b.id, text: 'first', clientMsgId: 'k-1' });
        const ack = await ca.next();
        await expect(cb.next()).resolves.toMatchObject({ id: ack.id });
        ca.send({ to: c.id, text: 'first', clientMsgId: 'k-1' });
        const other = await ca.next();
        expect(other).toMatchObject({ id: null, sender: 0, to: c.id, code: 'CLIENT_MSG_ID_REUSED', clientMsgId: 'k-1' });
        expect(other.text).toContain(String(ack.id));
        ca.send({ to: b.id, text: 'changed', clientMsgId: 'k-1' });
        await expect(ca.next()).resolves.toMatchObject({ code: 'CLIENT_MSG_ID_REUSED', clientMsgId: 'k-1', to: b.id });
        // The same message again is a retry: the same ack.
        ca.send({ to: b.id, text: 'first', clientMsgId: 'k-1' });
        await expect(ca.next()).resolves.toEqual(ack);
        await cc.expectSilence();
        await cb.expectSilence();
        expect(await rows('SELECT text FROM `message` WHERE sender = ?', [a.id])).toEqual([{ text: 'first' }]);
      });

      it('answers an error with the clientMsgId of the frame it answers, so a client sending several can tell which', async () => {
        const a = await suite.newUser();
        const ca = await open(a);
        ca.send({ to: 999_999_999, text: 'to nobody', clientMsgId: 'e-1' });
        ca.send({ to: a.id + 1_000_000, text: '', clientMsgId: 'e-2' });
        const errors = await ca.nextN(2);
        expect(errors).toEqual([
          expect.objectContaining({ code: 'USER_NOT_FOUND', text: '用户不存在', clientMsgId: 'e-1' }),
          expect.objectContaining({ code: 'TEXT_EMPTY', clientMsgId: 'e-2' }),
        ]);
      });

      it("gives a device that connects right after another one got messages no repeats of them", async () => {
        const a = await suite.newUser();
        const b = await suite.newUser();
        const cb1 = await open(b);
        const ca = await open(a);
        for (let i = 0; i < 20; i++) ca.send({ to: b.id, text: `fresh ${i}`, clientMsgId: `f-${i}` });
        await ca.nextN(20);
        const got = await cb1.nextN(20);
        expect(got.map((f) => f.text)).toEqual([...Array(20).keys()].map((i) => `fresh ${i}`));
        // Within the first device's confirmation delay: its writes are confirmed before the
        // second device's backlog is read.
        const cb2 = await open(b);
        await cb2.expectSilence(500);
      });

      it('keeps order per conversation under a burst from several senders', async () => {
        const b = await suite.newUser();
        const senders = await Promise.all([1, 2, 3].map(() => suite.newUser()));
        const cb = await open(b);
        const sockets = await Promise.all(senders.map((s) => open(s)));
        for (let i = 0; i < 40; i++) sockets.forEach((s, k) => s.send({ to: b.id, text: `${senders[k].id}:${i}` }));
        const got = await cb.nextN(120);
        for (const s of senders) {
          const seq = got.filter((f) => f.senderId === s.id).map((f) => Number(String(f.text).split(':')[1]));
          expect(seq).toEqual([...Array(40).keys()]);
        }
        const ids = got.map((f) => f.id as number);
        expect(new Set(ids).size).toBe(120);
      });

      it('delivers each message once to a recipient who keeps reconnecting while messages arrive', async () => {
        const a = await suite.newUser();
        const b = await suite.newUser();
        const ca = await open(a);
        const received: Frame[] = [];
        const total = 150;
        let sent = 0;
        const sender = (async () => {
          while (sent < total) {
            ca.send({ to: b.id, text: `m${sent}` });
            sent += 1;
            if (sent % 5 === 0) await sleep(2);
          }
        })();
        for (let round = 0; round < 6; round++) {
          const cb = await open(b);
          cb.ws.on('message', () => undefined);
          await sleep(15);
          await cb.close();
          // Frames that arrived before the close completed count as received.
          received.push(...drain(cb));
        }
        await sender;
        await waitFor('every message stored', async () => Number((await rows('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [a.id]))[0].n) === total);
        const last = await open(b);
        for (;;) {
          const f = await last.next(700).catch(() => null);
          if (!f) break;
          received.push(f);
        }
        const texts = received.map((f) => f.text);
        expect(texts).toEqual([...Array(total).keys()].map((i) => `m${i}`));
      });
    });

    it('survives a gateway restart with offline messages kept in the database', async () => {
      const a = await suite.newUser();
      const b = await suite.newUser();
      const ca = await open(a);
      ca.send({ to: b.id, text: 'before restart 1' });
      ca.send({ to: b.id, text: 'before restart 2', clientMsgId: 'r-1' });
      const ack = await ca.next();
      await ca.close();
      await suite.close();
      suite = await startSuite({ DATABASE_URL: databaseUrl() });
      db = suite.app.get(DataSource);
      const cb = await open({ id: b.id, token: await suite.token(b.id) });
      const got = await cb.nextN(2);
      expect(got.map((f) => f.text)).toEqual(['before restart 1', 'before restart 2']);
      expect(got[1].id).toBe(ack.id);
      await cb.close();
      const again = await open({ id: b.id, token: await suite.token(b.id) });
      await again.expectSilence();
      // The idempotency key survives the restart too.
      const ca2 = await open({ id: a.id, token: await suite.token(a.id) });
      ca2.send({ to: b.id, text: 'before restart 2', clientMsgId: 'r-1' });
      await expect(ca2.next()).resolves.toEqual(ack);
      await again.expectSilence();
    });
  });
}

function drain(c: TestClient): Frame[] {
  // Everything queued in the client and not yet read.
  return c.takePending();
}


const sqlite = tempSqlite();
gatewaySuite('SQLite', () => sqlite.url, () => sqlite.remove());

describeMariaDb('MariaDB', () => {
  gatewaySuite('MariaDB', () => testMariaDbUrl()!);
});
