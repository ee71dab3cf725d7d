import { RedisTestServer } from '../bus/redis-test-server';
import { sleep, waitFor } from '../support/wait';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { opsAuth } from '../support/test-app';
import { awayFromRateWindowEdge } from '../support/rate-window';
import { describeMariaDb, isCi, testMariaDbUrl, testRedisPrefix, testRedisUrl } from '../support/infra';
import { chatUrl, Frame, TestClient } from '../support/ws-client';

// Two gateway replicas in processes of their own, one Redis, one MariaDB: the topology of the
// compose file, without containers. Each block starts its own replicas.

jest.setTimeout(90_000);

type Directory = Awaited<ReturnType<typeof openTestDirectory>>;
type User = Awaited<ReturnType<Directory['newUser']>>;


/** Everything a user receives, over however many sockets it opens in turn. */
class Inbox {
  frames: Frame[] = [];
  sockets: TestClient[] = [];

  async connect(url: string, v2 = false): Promise<TestClient> {
    const c = v2 ? await TestClient.openV2(url) : await TestClient.open(url);
    c.ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Frame));
    this.sockets.push(c);
    return c;
  }

  texts(): string[] {
    return this.frames.filter((f) => !f.type).map((f) => String(f.text));
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close()));
  }
}

/** Sends `count` messages, each with a clientMsgId (so the sender gets an ack once it is stored), paced. */
async function sendStream(from: TestClient, to: number, prefix: string, start: number, count: number, pauseMs = 3): Promise<void> {
  for (let i = start; i < start + count; i++) {
    from.send({ to, text: `${prefix}${i}`, clientMsgId: `${prefix}${i}` });
    if (pauseMs) await sleep(pauseMs);
  }
}

const range = (prefix: string, from: number, to: number) => [...Array(to - from).keys()].map((i) => `${prefix}${i + from}`);

describeMariaDb('two gateway replicas', () => {
  let dir: Directory;
  beforeAll(async () => {
    if (!testRedisUrl()) {
      if (isCi()) throw new Error('CI=true but Redis is unreachable');
      return;
    }
    dir = await openTestDirectory(testMariaDbUrl()!);
  });
  afterAll(() => dir?.close());

  const env = (redisUrl: string, tag: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: testMariaDbUrl()!,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `${testRedisPrefix()}${tag}:`,
    CHAT_RATE_LIMIT_COUNT: '0',
    ...extra,
  });

  describe('fan-out across replicas', () => {
    let g1: GatewayProcess;
    let g2: GatewayProcess;
    beforeAll(async () => {
      if (!testRedisUrl()) return;
      [g1, g2] = await Promise.all([
        GatewayProcess.start(env(testRedisUrl()!, 'fanout', { CHAT_RATE_LIMIT_COUNT: '150', CHAT_RATE_LIMIT_WINDOW_SEC: '60' })),
        GatewayProcess.start(env(testRedisUrl()!, 'fanout', { CHAT_RATE_LIMIT_COUNT: '150', CHAT_RATE_LIMIT_WINDOW_SEC: '60' })),
      ]);
    });
    afterAll(async () => {
      await Promise.all([g1?.stop(), g2?.stop()]);
    });

    it('reaches every device of the recipient and the sender’s other devices, both directions, in order, once', async () => {
      const a: User = await dir.newUser();
      const b: User = await dir.newUser();
      const aMain = new Inbox();
      const bOn2 = new Inbox();
      const bOn1 = new Inbox();
      const ca = await aMain.connect(chatUrl(g1.wsUrl, a.id, a.token));
      const cb = await bOn2.connect(chatUrl(g2.wsUrl, b.id, b.token));
      // A v2 device: legacy ones never get their user's own messages.
      await bOn1.connect(chatUrl(g1.wsUrl, b.id, b.token), true);

      await sendStream(ca, b.id, 'ab', 0, 100);
      await sendStream(cb, a.id, 'ba', 0, 100);
      const wanted = { ab: range('ab', 0, 100), ba: range('ba', 0, 100) };
      await waitFor('all deliveries', () => bOn2.texts().length >= 100 && bOn1.texts().length >= 200 && aMain.texts().length >= 100, 20_000);
      await sleep(200);

      expect(bOn2.texts()).toEqual(wanted.ab); // B's device on replica 2: A's messages, not its own
      expect(aMain.texts()).toEqual(wanted.ba); // A: B's messages, not its own
      // B's second device on replica 1 sees the whole conversation, in storage order.
      const second = bOn1.frames.filter((f) => !f.type);
      expect(second.map((f) => f.id)).toEqual([...second.map((f) => f.id as number)].sort((x, y) => x - y));
      expect(new Set(second.map((f) => f.text)).size).toBe(200);
      // The senders got one ack per message and nothing else of their own.
      expect(aMain.frames.filter((f) => f.type === 'ack')).toHaveLength(100);
      await Promise.all([aMain.closeAll(), bOn2.closeAll(), bOn1.closeAll()]);
    });

    it('counts the rate limit across replicas', async () => {
      const a: User = await dir.newUser();
      const b: User = await dir.newUser();
      const inbox = new Inbox();
      const on1 = await inbox.connect(chatUrl(g1.wsUrl, a.id, a.token));
      const on2 = await inbox.connect(chatUrl(g2.wsUrl, a.id, a.token));
      // All 200 sends must fall in one 60 s window of the limiter.
      await awayFromRateWindowEdge(60, 15_000);
      await sendStream(on1, b.id, 'x', 0, 100, 0);
      await waitFor('first hundred answered', () => inbox.frames.filter((f) => f.type === 'ack' || f.code).length >= 100, 20_000);
      await sendStream(on2, b.id, 'y', 0, 100, 0);
      await waitFor('all answered', () => inbox.frames.filter((f) => f.type === 'ack' || f.code === 'RATE_LIMITED').length >= 200, 20_000);
      const acks = inbox.frames.filter((f) => f.type === 'ack');
      const limited = inbox.frames.filter((f) => f.code === 'RATE_LIMITED');
      expect(acks).toHaveLength(150);
      expect(limited).toHaveLength(50);
      const [{ n }] = (await dir.ds.query('SELECT COUNT(*) AS n FROM `message` WHERE sender = ?', [a.id])) as { n: number }[];
      expect(Number(n)).toBe(150);
      await inbox.closeAll();
    });
  });

  describe('Redis stopped and restarted mid-conversation', () => {
    let redis: RedisTestServer;
    let g3: GatewayProcess;
    let g4: GatewayProcess;
    beforeAll(async () => {
      if (!testRedisUrl()) return;
      redis = await RedisTestServer.start();
      [g3, g4] = await Promise.all([GatewayProcess.start(env(redis.url, 'outage')), GatewayProcess.start(env(redis.url, 'outage'))]);
    });
    afterAll(async () => {
      await Promise.all([g3?.stop(), g4?.stop()]);
      await redis?.kill();
    });

    it('keeps storing and delivering locally, then delivers what the other replica missed, in order, once', async () => {
      const a: User = await dir.newUser();
      const b: User = await dir.newUser();
      const c: User = await dir.newUser();
      const aIn = new Inbox();
      const bIn = new Inbox();
      const cIn = new Inbox();
      const ca = await aIn.connect(chatUrl(g3.wsUrl, a.id, a.token));
      await bIn.connect(chatUrl(g4.wsUrl, b.id, b.token));
      await cIn.connect(chatUrl(g3.wsUrl, c.id, c.token));

      await sendStream(ca, b.id, 'm', 0, 30);
      await waitFor('phase 1 delivered', () => bIn.texts().length === 30, 10_000);

      await redis.kill();
      await waitFor('replica 2 not ready without Redis', async () => (await g4.ready()) === 503, 15_000);
      await sendStream(ca, b.id, 'm', 30, 30);
      await sendStream(ca, c.id, 'local', 0, 5);
      // Stored while Redis is down (acked), and delivered on the same replica at once.
      await waitFor('phase 2 stored', () => aIn.frames.filter((f) => f.type === 'ack').length === 65, 10_000);
      await waitFor('local delivery during the outage', () => cIn.texts().length === 5, 10_000);
      expect(cIn.texts()).toEqual(range('local', 0, 5));

      // Replica 2 could not hear of phase 2: it must come from the database after the restart.
      expect(bIn.texts()).toHaveLength(30);
      await redis.restart();
      await waitFor('replica 2 ready again', async () => (await g4.ready()) === 200, 20_000);
      await sendStream(ca, b.id, 'm', 60, 30);
      await waitFor('everything delivered', () => bIn.texts().length >= 90, 20_000);
      await sleep(300);
      expect(bIn.texts()).toEqual(range('m', 0, 90));
      expect(new Set(bIn.frames.map((f) => f.id)).size).toBe(90);
      const metrics = await (await fetch(`${g4.httpUrl}/metrics`, { headers: opsAuth })).text();
      expect(metrics).toMatch(/^chat_bus_resyncs_total [1-9]/m);
      await Promise.all([aIn.closeAll(), bIn.closeAll(), cIn.closeAll()]);
    });
  });

  describe('a replica going away while its users chat', () => {
    const TOTAL = 200;
    // The stream lasts about a second; confirmation rounds every 100 ms (instead of every second)
    // let the doomed replica confirm a head of it before the kill.
    const FAILOVER = { CHAT_CONFIRM_DELAY_MS: '100' };
    let survivor: GatewayProcess;
    beforeAll(async () => {
      if (!testRedisUrl()) return;
      survivor = await GatewayProcess.start(env(testRedisUrl()!, 'failover', FAILOVER));
    });
    afterAll(() => survivor?.stop());

    /** B sits on the doomed replica and reconnects to the survivor when its socket closes. */
    async function chatThroughFailover(signal: NodeJS.Signals) {
      const doomed = await GatewayProcess.start(env(testRedisUrl()!, 'failover', FAILOVER));
      const a: User = await dir.newUser();
      const b: User = await dir.newUser();
      const aIn = new Inbox();
      const bIn = new Inbox();
      const ca = await aIn.connect(chatUrl(survivor.wsUrl, a.id, a.token));
      const first = await bIn.connect(chatUrl(doomed.wsUrl, b.id, b.token));
      let reconnected: Promise<TestClient> | undefined;
      void first.closed.then(() => (reconnected = bIn.connect(chatUrl(survivor.wsUrl, b.id, b.token))));

      const sending = sendStream(ca, b.id, 'f', 0, TOTAL, 5);
      await waitFor('some traffic', () => bIn.texts().length >= 100, 10_000);
      const receivedBeforeKill = bIn.texts().length;
      const exit = await doomed.stop(signal);
      await sending;
      await waitFor('all acked', () => aIn.frames.filter((f) => f.type === 'ack').length === TOTAL, 10_000);
      await waitFor('B back on the survivor', () => reconnected !== undefined, 10_000);
      await reconnected;
      await waitFor('B has every message', () => new Set(bIn.texts()).size === TOTAL, 20_000);
      await sleep(300);
      const closeCode = (await first.closed).code;
      await Promise.all([aIn.closeAll(), bIn.closeAll()]);
      return { texts: bIn.texts(), exit, closeCode, receivedBeforeKill };
    }

    it('on SIGTERM: sockets closed with 1001, every message once, in order', async () => {
      const { texts, exit, closeCode } = await chatThroughFailover('SIGTERM');
      // Nest re-raises the signal once shut down; the grace-period timer would exit with 1 instead.
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(closeCode).toBe(1001);
      expect(texts).toEqual(range('f', 0, TOTAL));
    });

    it('on SIGKILL: nothing lost and in order; a message in flight at the kill may come twice (same id)', async () => {
      const { texts, receivedBeforeKill } = await chatThroughFailover('SIGKILL');
      const unique = texts.filter((t, i) => texts.indexOf(t) === i);
      expect(unique).toEqual(range('f', 0, TOTAL));
      // A write counts as delivered once the client answered a later ping, so what the dead
      // replica wrote in its last confirmation round comes again: one contiguous tail of what
      // B had read before the kill, never the confirmed head.
      const repeated = [...new Set(texts.filter((t, i) => texts.indexOf(t) !== i))].map((t) => Number(t.slice(1)));
      if (repeated.length) {
        expect(repeated).toEqual(range('', repeated[0], repeated[0] + repeated.length).map(Number));
        expect(repeated.length).toBeLessThan(receivedBeforeKill);
        expect(repeated[0]).toBeGreaterThan(0);
      }
    });
  });
});
