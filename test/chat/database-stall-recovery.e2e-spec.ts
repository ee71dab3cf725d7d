import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { CuttableProxy } from '../support/cuttable-proxy';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { opsAuth } from '../support/test-app';
import { sleep, waitFor } from '../support/wait';
import { chatUrl, Frame, TestClient } from '../support/ws-client';

// A database stall longer than the statement timeout (the network drops everything, nothing is
// reset): every call on every path settles within DATABASE_STATEMENT_TIMEOUT_MS, the connections
// it held are discarded, and once the database answers again the next sends are stored within
// seconds. The whole suite runs in a process of its own, as deployed, so that its readiness,
// HTTP answers and exit can be watched.

jest.setTimeout(240_000);

type Directory = Awaited<ReturnType<typeof openTestDirectory>>;
type User = Awaited<ReturnType<Directory['newUser']>>;

const STALL_MS = 15_000;
const STATEMENT_TIMEOUT_MS = 10_000;
const SUITE = ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/suite/src/main.ts'];

describeMariaDb('a database stall longer than the statement timeout', () => {
  let dir: Directory;
  let direct: DataSource;
  let proxy: CuttableProxy;
  let suite: GatewayProcess;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    dir = await openTestDirectory(testMariaDbUrl()!);
    direct = new DataSource(dataSourceOptions(testMariaDbUrl()!, false));
    await direct.initialize();
    proxy = await CuttableProxy.start(testMariaDbUrl()!);
    suite = await GatewayProcess.start(
      {
        DATABASE_URL: proxy.url,
        DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        CHAT_STORE_TIMEOUT_MS: '1500',
        CHAT_READ_TIMEOUT_MS: '1500',
        CHAT_SHUTDOWN_GRACE_MS: '10000',
        CHAT_PING_INTERVAL_MS: '60000',
        UPLOAD_DIR: `/tmp/chat-stall-uploads-${process.pid}`,
      },
      { args: SUITE, readyTimeoutMs: 120_000 },
    );
  });
  afterAll(async () => {
    await proxy?.restore();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await suite?.stop('SIGKILL');
    await proxy?.close();
    await direct?.destroy();
    await dir?.close();
  });

  const open = async (user: User) => {
    const c = await TestClient.open(chatUrl(suite.wsUrl, user.id, user.token));
    clients.push(c);
    return c;
  };
  const readyDetails = async (): Promise<string> => {
    const res = await fetch(`${suite.httpUrl}/health/ready`, { headers: opsAuth, signal: AbortSignal.timeout(3000) }).catch(() => null);
    return res ? `${res.status} ${await res.text()}` : 'no answer';
  };
  /** A legacy HTTP call with the token; the answer's body, or 'no answer' after `ms`. */
  const legacyGet = async (path: string, user: User, ms: number): Promise<{ body: { status?: number; msg?: string } | string; tookMs: number }> => {
    const started = Date.now();
    const res = await fetch(`${suite.httpUrl}${path}`, { headers: { token: user.token }, signal: AbortSignal.timeout(ms) }).catch(() => null);
    const body = res ? ((await res.json()) as { status?: number; msg?: string }) : 'no answer';
    return { body, tookMs: Date.now() - started };
  };

  it('stores the next sends within seconds after a 15 s stall, answers reads with the error envelope during it, turns not ready and back, and exits cleanly', async () => {
    // Pairs over several conversations, so that several writer shards hold a batch when the stall begins.
    const pairs = await Promise.all(Array.from({ length: 6 }, async () => [await dir.newUser(), await dir.newUser()] as const));
    const sockets = await Promise.all(pairs.map(async ([a, b]) => [await open(a), await open(b)] as const));
    for (const [i, [a, b]] of pairs.entries()) {
      sockets[i][0].send({ to: b.id, text: 'before', clientMsgId: `before-${i}` });
      await expect(sockets[i][0].nextMatching((f) => f.type === 'ack', 10_000)).resolves.toMatchObject({ clientMsgId: `before-${i}` });
      await sockets[i][1].nextMatching((f) => f.text === 'before', 10_000);
      void a;
    }

    await proxy.stall();
    const stalledAt = Date.now();
    pairs.forEach(([, b], i) => sockets[i][0].send({ to: b.id, text: 'during', clientMsgId: `during-${i}` }));
    for (const [i] of pairs.entries()) {
      await expect(sockets[i][0].nextMatching((f) => f.clientMsgId === `during-${i}`, 10_000)).resolves.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    }

    // Readiness, watched through the stall.
    const seen: string[] = [];
    const watching = (async () => {
      while (Date.now() - stalledAt < STALL_MS) {
        seen.push(await readyDetails());
        await sleep(250);
      }
    })();

    // Reads during the stall: the legacy error envelope, within the statement timeout (and a margin).
    const [alice, bob] = pairs[0];
    const [history, list] = await Promise.all([
      legacyGet(`/chat_message/get_Message_History.do?friendId=${bob.id}&pageNum=1&pageSize=10`, alice, STALL_MS - 1000),
      legacyGet('/chat_message/get_Conversation_List.do', alice, STALL_MS - 1000),
    ]);
    for (const answer of [history, list]) {
      expect(answer.body).toMatchObject({ status: 1, msg: expect.stringMatching(/unavailable/) });
      expect(answer.tookMs).toBeLessThan(STATEMENT_TIMEOUT_MS + 3000);
    }

    // Not ready during the stall, and the details say the writer makes no progress.
    await watching;
    if (process.env.STALL_DEBUG) process.stdout.write(`${seen.join('\n')}\n${suite.output.slice(-4000)}\n`);
    expect(seen.some((s) => s.startsWith('503') && s.includes('message writer'))).toBe(true);
    await proxy.restore();

    // The next sends, in every conversation, are stored within seconds.
    const restoredAt = Date.now();
    pairs.forEach(([, b], i) => {
      for (let k = 0; k < 3; k++) sockets[i][0].send({ to: b.id, text: `after ${k}`, clientMsgId: `after-${i}-${k}` });
    });
    for (const [i] of pairs.entries()) {
      for (let k = 0; k < 3; k++) {
        await expect(sockets[i][0].nextMatching((f: Frame) => f.clientMsgId === `after-${i}-${k}`, 15_000)).resolves.toMatchObject({ type: 'ack' });
      }
      await expect(sockets[i][1].nextMatching((f) => f.text === 'after 2', 10_000)).resolves.toMatchObject({ senderId: pairs[i][0].id });
    }
    expect(Date.now() - restoredAt).toBeLessThan(20_000);
    const rows = (await direct.query('SELECT COUNT(*) AS n FROM `message` WHERE client_msg_id LIKE ? AND sender IN (?)', [
      'after-%',
      pairs.map(([a]) => a.id),
    ])) as { n: number | string }[];
    expect(Number(rows[0].n)).toBe(pairs.length * 3);

    await waitFor('ready again', async () => (await suite.ready()) === 200, 15_000);

    // SIGTERM after the stall: a graceful exit re-raises the signal (the hard deadline at the
    // grace would exit with code 1).
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await expect(suite.stop('SIGTERM')).resolves.toEqual({ code: null, signal: 'SIGTERM' });
  });
});
