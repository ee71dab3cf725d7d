import { startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

describe('chat gateway settings', () => {
  const sqlite = tempSqlite();
  afterAll(() => sqlite.remove());

  describe('CHAT_LEGACY_UNAUTHENTICATED=true', () => {
    let suite: TestApp;
    beforeAll(async () => {
      suite = await startSuite({ DATABASE_URL: sqlite.url, CHAT_LEGACY_UNAUTHENTICATED: 'true' });
    });
    afterAll(() => suite.close());

    it('lets a legacy app connect without a token, still refusing unknown users', async () => {
      const a = await suite.newUser();
      const b = await suite.newUser();
      const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id));
      const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id));
      ca.send({ senderId: String(a.id), to: String(b.id), text: 'no token' });
      await expect(cb.next()).resolves.toMatchObject({ text: 'no token', sender: a.name });
      await expect(TestClient.refusal(chatUrl(suite.wsUrl, 1_999_999_999))).resolves.toMatchObject({ status: 404 });
      // A spoofed senderId is still refused.
      ca.send({ senderId: String(b.id), to: String(b.id), text: 'spoof' });
      await expect(ca.next()).resolves.toMatchObject({ code: 'SENDER_MISMATCH' });
      await Promise.all([ca.close(), cb.close()]);
    });
  });

  describe('CHAT_HEARTBEAT_ENABLED=false and a smaller text limit', () => {
    let suite: TestApp;
    beforeAll(async () => {
      suite = await startSuite({ DATABASE_URL: sqlite.url, CHAT_HEARTBEAT_ENABLED: 'false', CHAT_TEXT_MAX_LENGTH: '10' });
    });
    afterAll(() => suite.close());

    it('forwards `heart` as an ordinary message and applies the configured limit', async () => {
      const a = await suite.newUser();
      const b = await suite.newUser();
      const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
      const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
      ca.send({ to: b.id, text: 'heart' });
      await expect(cb.next()).resolves.toMatchObject({ text: 'heart' });
      ca.send({ to: b.id, text: '12345678901' });
      await expect(ca.next()).resolves.toMatchObject({ code: 'TEXT_TOO_LONG', text: expect.stringContaining('10') });
      await Promise.all([ca.close(), cb.close()]);
    });
  });

  describe('CHAT_PING_INTERVAL_MS', () => {
    let suite: TestApp;
    beforeAll(async () => {
      suite = await startSuite({ DATABASE_URL: sqlite.url, CHAT_PING_INTERVAL_MS: '150' });
    });
    afterAll(() => suite.close());

    it('drops a socket that stops answering pings and keeps one that answers', async () => {
      const a = await suite.newUser();
      const healthy = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
      const dead = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
      // A client whose network vanished: it no longer answers pings (ws answers them itself).
      (dead.ws as unknown as { pong: () => void }).pong = () => undefined;
      const socket = (dead.ws as unknown as { _receiver: { removeAllListeners(e: string): void; on(e: string, f: () => void): void } })._receiver;
      socket.removeAllListeners('ping');
      socket.on('ping', () => undefined);
      await expect(dead.closed).resolves.toMatchObject({ code: 1006 });
      expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
      await healthy.close();
    });
  });
});
