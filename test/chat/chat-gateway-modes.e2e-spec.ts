import { opsAuth, startSuite, tempSqlite, TestApp } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';
import { awayFromRateWindowEdge } from '../support/rate-window';

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
      // A client whose network vanished: it no longer answers pings.
      const dead = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token), {}, 5000, [], { autoPong: false });
      await expect(dead.closed).resolves.toMatchObject({ code: 1006 });
      expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
      await healthy.close();
    });
  });
});

describe('chat gateway limits and operations', () => {
  const sqlite = tempSqlite();
  let suite: TestApp;
  beforeAll(async () => {
    suite = await startSuite({ DATABASE_URL: sqlite.url, CHAT_RATE_LIMIT_COUNT: '3', CHAT_RATE_LIMIT_WINDOW_SEC: '60', CHAT_MAX_SOCKETS_PER_USER: '2' });
  });
  afterAll(async () => {
    await suite.close();
    sqlite.remove();
  });

  it('refuses messages over the per-user rate limit with an error frame, storing none of them', async () => {
    const a = await suite.newUser();
    const b = await suite.newUser();
    const ca = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const cb = await TestClient.open(chatUrl(suite.wsUrl, b.id, b.token));
    await awayFromRateWindowEdge(60, 10_000);
    for (let i = 1; i <= 5; i++) ca.send({ to: b.id, text: `n${i}` });
    const got = await cb.nextN(3);
    expect(got.map((f) => f.text)).toEqual(['n1', 'n2', 'n3']);
    const refusals = await ca.nextN(2);
    for (const r of refusals) expect(r).toMatchObject({ id: null, sender: 0, to: b.id, code: 'RATE_LIMITED', text: expect.stringContaining('3') });
    await cb.expectSilence();
    // Heartbeats do not count against the limit and the socket stays usable.
    ca.send({ to: b.id, text: 'heart' });
    await ca.expectSilence(150);
    expect(ca.ws.readyState).toBe(ca.ws.OPEN);
    await Promise.all([ca.close(), cb.close()]);
  });

  it('closes a socket over the per-user cap with 1008 and keeps the others', async () => {
    const a = await suite.newUser();
    const first = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const second = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const third = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    await expect(third.closed).resolves.toMatchObject({ code: 1008, reason: expect.stringContaining('max 2') });
    expect(first.ws.readyState).toBe(first.ws.OPEN);
    expect(second.ws.readyState).toBe(second.ws.OPEN);
    await second.close();
    const again = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    await again.expectSilence(100);
    expect(again.ws.readyState).toBe(again.ws.OPEN);
    await Promise.all([first.close(), again.close()]);
  });

  it('answers liveness and readiness, and exposes the gateway metrics', async () => {
    const live = await fetch(`${suite.httpUrl}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${suite.httpUrl}/health/ready`, { headers: opsAuth });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, 'chat-gateway': { status: 'up' } } });
    const a = await suite.newUser();
    const held = await TestClient.open(chatUrl(suite.wsUrl, a.id, a.token));
    const metrics = await (await fetch(`${suite.httpUrl}/metrics`, { headers: opsAuth })).text();
    expect(metrics).toMatch(/^chat_open_sockets [1-9]\d*$/m);
    for (const name of ['chat_frames_received_total', 'chat_messages_delivered_total', 'chat_store_batch_seconds_bucket', 'chat_delivery_latency_seconds_bucket', 'chat_bus_resyncs_total']) {
      expect(metrics).toContain(name);
    }
    await held.close();
  });

  it('turns not-ready and closes sockets with 1001 when shutting down', async () => {
    const own = await startSuite({ DATABASE_URL: sqlite.url });
    const a = await own.newUser();
    const client = await TestClient.open(chatUrl(own.wsUrl, a.id, a.token));
    const closing = own.close();
    await expect(client.closed).resolves.toMatchObject({ code: 1001 });
    await closing;
  });
});
