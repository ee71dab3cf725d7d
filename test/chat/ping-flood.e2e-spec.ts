import { readFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { sleep } from '../support/wait';
import { GatewayProcess, openTestDirectory } from '../support/gateway-process';
import { describeMariaDb, testMariaDbUrl } from '../support/infra';
import { opsAuth } from '../support/test-app';
import { chatUrl, TestClient } from '../support/ws-client';

// Control frames are frames too: a socket that sends pings as fast as it can and never reads the
// pongs must be cut off, not answered into memory without bound. The gateway runs in a process of
// its own so that its memory can be read.

jest.setTimeout(120_000);

type Directory = Awaited<ReturnType<typeof openTestDirectory>>;

/** Resident memory of a process in MB; NaN once it has gone. */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return NaN;
  }
}

async function floodCloses(gw: GatewayProcess, reason: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`, { headers: opsAuth })).text();
  return Number(new RegExp(`^chat_flood_closes_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

/** A masked client ping frame with a 125-byte payload, the largest a control frame may carry. */
function pingFrame(): Buffer {
  const payload = randomBytes(125);
  const mask = randomBytes(4);
  const frame = Buffer.alloc(2 + 4 + payload.length);
  frame[0] = 0x89; // FIN + ping
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
  return frame;
}

/**
 * A raw socket that upgrades, then writes pings as fast as the connection takes them and never
 * reads a byte after the upgrade. Resolves once the server has cut it off (a write fails or the
 * connection closes), or with 'open' after `ms` or once `giveUp` says so.
 */
async function pingFlood(wsUrl: string, path: string, ms: number, giveUp: () => boolean): Promise<{ outcome: 'cut' | 'open'; sent: number }> {
  const url = new URL(path, wsUrl.replace(/^ws/, 'http'));
  const socket: Socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  // Read the 101 answer only, then never again.
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${chunk.toString().split('\r\n')[0]}`));
      else resolve();
    });
  });
  let cut = false;
  socket.on('error', () => (cut = true));
  socket.on('close', () => (cut = true));
  const frames = Buffer.concat(Array.from({ length: 64 }, pingFrame));
  let sent = 0;
  const until = Date.now() + ms;
  while (!cut && Date.now() < until && !giveUp()) {
    // Keep the local queue short: a server that stops reading shows as writes that do not drain.
    if (socket.writableLength < 1 << 20) {
      socket.write(frames);
      sent += 64;
    }
    await new Promise((r) => setImmediate(r));
  }
  socket.destroy();
  return { outcome: cut ? 'cut' : 'open', sent };
}

describeMariaDb('ping flood: control frames count against the inbound limits', () => {
  let dir: Directory;
  let gw: GatewayProcess;

  beforeAll(async () => {
    dir = await openTestDirectory(testMariaDbUrl()!);
    gw = await GatewayProcess.start({ DATABASE_URL: testMariaDbUrl()!, CHAT_PING_INTERVAL_MS: '60000' });
  });
  afterAll(async () => {
    await gw?.stop();
    await dir?.close();
  });

  it('cuts off a socket flooding pings without reading, within a memory bound, while others chat', async () => {
    const [attacker, alice, bob] = await Promise.all([dir.newUser(), dir.newUser(), dir.newUser()]);
    const ca = await TestClient.open(chatUrl(gw.wsUrl, alice.id, alice.token));
    const cb = await TestClient.open(chatUrl(gw.wsUrl, bob.id, bob.token));
    const before = rssMb(gw.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gw.pid))), 100);
    try {
      const url = new URL(chatUrl(gw.wsUrl, attacker.id, attacker.token));
      // Stop well before an unbounded gateway would take the machine's memory.
      const giveUp = () => peak - before > 1000;
      const floods = await Promise.all([1, 2].map(() => pingFlood(gw.wsUrl, url.pathname + url.search, 20_000, giveUp)));
      for (const f of floods) expect(f.outcome).toBe('cut');
      // Someone else chats after the flood.
      ca.send({ to: bob.id, text: 'still here?', clientMsgId: 'calm-1' });
      await expect(cb.nextMatching((f) => f.text === 'still here?', 20_000)).resolves.toMatchObject({ senderId: alice.id });
    } finally {
      clearInterval(sampler);
    }
    expect(gw.running).toBe(true);
    // Unbounded, the same flood grows the process by well over a gigabyte in a few seconds.
    expect(peak - before).toBeLessThan(200);
    await ca.close();
    await cb.close();
  });

  it('closes a socket that reads but keeps pinging ten times faster than the frame rate with 1008, logs and counts it', async () => {
    const user = await dir.newUser();
    const closesBefore = await floodCloses(gw, 'ping');
    const c = await TestClient.open(chatUrl(gw.wsUrl, user.id, user.token));
    const until = Date.now() + 20_000;
    let open = true;
    void c.closed.then(() => (open = false));
    // Ten times the frame rate (50 a second), in rounds small enough that ws's own bound on
    // pending pongs (60 answered in one read) never cuts it first: the frame rate closes it.
    while (open && Date.now() < until) {
      for (let i = 0; i < 10; i++) c.ws.ping(randomBytes(125));
      await sleep(20);
    }
    await expect(Promise.race([c.closed, sleep(5000).then(() => null)])).resolves.toMatchObject({ code: 1008 });
    expect(await floodCloses(gw, 'ping')).toBe(closesBefore + 1);
    expect(gw.output).toMatch(/ping/i);
  });
});
