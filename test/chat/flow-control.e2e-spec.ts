import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { sleep, waitFor } from '../support/wait';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { opsAuth } from '../support/test-app';
import { chatUrl, Frame, TestClient } from '../support/ws-client';

// A gateway in a process of its own, so its memory can be read, against clients that flood it
// or stop reading. Memory figures are bounds the deployment guide states, not timings.

jest.setTimeout(120_000);

type Directory = Awaited<ReturnType<typeof openTestDirectory>>;
type User = Awaited<ReturnType<Directory['newUser']>>;

/** Resident memory of a process in MB; NaN once it has gone. */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return NaN;
  }
}

/** A gateway's count of sockets it closed for not reading (a paused client never sees the close itself). */
async function slowReadersClosed(gw: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`, { headers: opsAuth })).text();
  return Number(/^chat_slow_readers_closed_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Lets a client that stopped reading read again: it then learns that the server has closed it. */
function resumeReading(c: TestClient): void {
  c.ws.resume();
}

/** A client that writes frames as fast as its socket takes them, for `ms`, reading nothing back or everything. */
async function flood(ws: WebSocket, frame: string, ms: number): Promise<number> {
  let sent = 0;
  const until = Date.now() + ms;
  while (Date.now() < until && ws.readyState === WebSocket.OPEN) {
    // Keep up to 1 MiB queued client-side: the server pushing back shows as a queue that stops draining.
    while (ws.bufferedAmount < 1 << 20 && ws.readyState === WebSocket.OPEN) {
      ws.send(frame);
      sent += 1;
    }
    await new Promise((r) => setImmediate(r));
  }
  return sent;
}

describeMariaDb('flow control: clients that flood or do not read', () => {
  let dir: Directory;
  /** With the default rate limit: floods are refused at 30 messages per 10 s. */
  let gw: GatewayProcess;
  /** Without rate limits, so a reader can be sent more than the network buffers hold, in a burst. */
  let open: GatewayProcess;

  beforeAll(async () => {
    dir = await openTestDirectory(testMariaDbUrl()!);
    const common = {
      DATABASE_URL: testMariaDbUrl()!,
      CHAT_SLOW_READER_MS: '1500',
      CHAT_SEND_BUFFER_BYTES: String(64 * 1024),
      CHAT_PING_INTERVAL_MS: '60000',
    };
    [gw, open] = await Promise.all([
      GatewayProcess.start({ ...common, CHAT_RATE_LIMIT_COUNT: '30', CHAT_RATE_LIMIT_WINDOW_SEC: '10' }),
      GatewayProcess.start({ ...common, CHAT_RATE_LIMIT_COUNT: '0', CHAT_INBOUND_FRAMES_PER_SEC: '0', CHAT_INBOUND_OVERRUNS: '0' }),
    ]);
  });
  afterAll(async () => {
    if (process.env.FLOW_DEBUG) process.stdout.write(`GW:\n${gw?.output.slice(-5000)}\nOPEN:\n${open?.output.slice(-5000)}\n`);
    await Promise.all([gw?.stop(), open?.stop()]);
    await dir?.close();
  });

  /** A message text of about 1.5 KB (500 three-byte characters) that starts with its number. */
  const heavy = (i: number) => `${String(i).padStart(4, '0')} ${'长'.repeat(495)}`;

  it('survives three users flooding 16 KiB frames from ten sockets each, within its memory bound, serving others meanwhile', async () => {
    const flooders: User[] = await Promise.all([dir.newUser(), dir.newUser(), dir.newUser()]);
    const [alice, bob] = await Promise.all([dir.newUser(), dir.newUser()]);
    const before = rssMb(gw.pid);
    const sockets = await Promise.all(
      flooders.flatMap((u) => Array.from({ length: 10 }, () => TestClient.open(chatUrl(gw.wsUrl, u.id, u.token)))),
    );
    const target = flooders[0].id;
    const big = JSON.stringify({ to: target, text: 'x'.repeat(16 * 1024 - 40) });
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gw.pid))), 200);
    const ca = await TestClient.open(chatUrl(gw.wsUrl, alice.id, alice.token));
    const cb = await TestClient.open(chatUrl(gw.wsUrl, bob.id, bob.token));
    try {
      const flooding = Promise.all(sockets.map((s, i) => flood(s.ws, i % 2 ? big : JSON.stringify({ to: target, text: `small ${i}` }), 10_000)));
      await sleep(3000);
      // Someone else chats through the flood.
      ca.send({ to: bob.id, text: 'still here?', clientMsgId: 'calm-1' });
      await expect(cb.nextMatching((f) => f.text === 'still here?', 20_000)).resolves.toMatchObject({ senderId: alice.id });
      await flooding;
    } finally {
      clearInterval(sampler);
    }
    expect(gw.running).toBe(true);
    await expect(gw.ready()).resolves.toBe(200);
    // The bound of docs/deployment.md: per socket at most its inbound queue (64 KiB) and send
    // buffer (here 64 KiB) besides its fixed state; 30 sockets stay far under 100 MB of growth.
    expect(peak - before).toBeLessThan(100);
    // The flooders were paused (TCP pushed back) or closed with 1008, never answered without bound.
    const closes = await Promise.all(sockets.map((s) => Promise.race([s.closed.then((c) => c.code), sleep(100).then(() => 'open')])));
    // 1006: a flooder that never completed the close handshake was cut off after the grace period.
    for (const c of closes) expect([1006, 1008, 1009, 'open']).toContain(c);
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all([ca.close(), cb.close()]);
  });

  it('stops writing to a socket that does not read, closes it after CHAT_SLOW_READER_MS, and delivers everything at its next connect, in order, once', async () => {
    const [a, b] = await Promise.all([dir.newUser(), dir.newUser()]);
    const closedBefore = await slowReadersClosed(open);
    const cb = await TestClient.open(chatUrl(open.wsUrl, b.id, b.token));
    cb.ws.pause();
    const ca = await TestClient.open(chatUrl(open.wsUrl, a.id, a.token));
    // About 9 MB: more than the kernel's socket buffers take from a reader that does not read.
    const total = 6000;
    for (let i = 0; i < total; i++) ca.send({ to: b.id, text: heavy(i), clientMsgId: `slow-${i}` });
    for (let i = 0; i < total; i++) await ca.nextMatching((f) => f.type === 'ack', 20_000);
    await waitFor('the server closing the socket that does not read', async () => (await slowReadersClosed(open)) === closedBefore + 1, 20_000);
    resumeReading(cb);
    // 1008 if the close frame got through before the server cut the connection, else 1006.
    expect([1006, 1008]).toContain((await cb.closed).code);
    // What the kernel had taken for the stalled socket reached it once it read again; with a clean
    // close that counts as received, the rest comes at the next connect. Together: everything,
    // in order, nothing twice.
    const before = cb.pending().filter((f) => f.type === undefined);
    const again = await TestClient.open(chatUrl(open.wsUrl, b.id, b.token));
    const got: Frame[] = [...before];
    while (got.length < total) got.push(await again.next(15_000));
    expect(got.map((f) => String(f.text).slice(0, 4))).toEqual([...Array(total).keys()].map((i) => String(i).padStart(4, '0')));
    await again.expectSilence(500);
    await Promise.all([ca.close(), again.close()]);
  });

  it('writes a large backlog to sockets that do not read only as far as their send buffer, not page after page', async () => {
    const [a, b] = await Promise.all([dir.newUser(), dir.newUser()]);
    // 6,000 pending messages (about 9 MB) for b, written straight to the database as the gateway would.
    const N = 6000;
    await dir.ds.query('INSERT INTO conversation (user_lo, user_hi, message_count) VALUES (?, ?, ?)', [Math.min(a.id, b.id), Math.max(a.id, b.id), N]);
    const [{ id: conversationId }] = await dir.ds.query('SELECT id FROM conversation WHERE user_lo = ? AND user_hi = ?', [Math.min(a.id, b.id), Math.max(a.id, b.id)]);
    const rows = [...Array(N).keys()].map((i) => [a.id, b.id, heavy(i), '2026-01-01 00:00:00', '2026-01-01 00:00:00', conversationId, i + 1]);
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await dir.ds.query(
        `INSERT INTO \`message\` (sender, \`to\`, text, update_time, create_time, conversation_id, seq) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      );
    }
    const lastId = Number((await dir.ds.query('SELECT MAX(id) AS id FROM `message` WHERE conversation_id = ?', [conversationId]))[0].id);
    await dir.ds.query(
      'INSERT INTO conversation_member (user_id, friend_id, conversation_id, last_seq, last_message_id, received_count, received_seq) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, 0, 0)',
      [b.id, a.id, conversationId, N, lastId, N, N, a.id, b.id, conversationId, N, lastId],
    );
    const closedBefore = await slowReadersClosed(open);
    const before = rssMb(open.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(open.pid))), 100);
    let paused: TestClient[] = [];
    try {
      paused = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const c = await TestClient.open(chatUrl(open.wsUrl, b.id, b.token));
          c.ws.pause();
          return c;
        }),
      );
      await waitFor('the server closing the ten sockets', async () => (await slowReadersClosed(open)) === closedBefore + 10, 30_000);
    } finally {
      clearInterval(sampler);
    }
    // Cut off without a close handshake (they never read it): what they were sent stays undelivered.
    await sleep(3500);
    for (const c of paused) c.ws.terminate();
    // 10 x 9 MB of backlog would have been written page after page; the send budget keeps each
    // socket's share to its buffer and one page (about 64 KiB + 150 KB).
    expect(peak - before).toBeLessThan(60);
    const reader = await TestClient.open(chatUrl(open.wsUrl, b.id, b.token));
    const seen: string[] = [];
    while (seen.length < N) seen.push(String((await reader.next(15_000)).text).slice(0, 4));
    expect(seen).toEqual([...Array(N).keys()].map((i) => String(i).padStart(4, '0')));
    await reader.expectSilence(500);
    await waitFor('the backlog confirmed', async () => {
      const [row] = await dir.ds.query('SELECT delivered_seq FROM conversation_member WHERE user_id = ? AND friend_id = ?', [b.id, a.id]);
      return Number(row.delivered_seq) === N;
    });
    await reader.close();
  });
});
