// `npm run bench:chat`: the chat gateway against a raw ws + Redis relay, both as two replicas
// on this machine, measured in the same run.
//
// - Open-loop load: message k is due at t0 + k/rate whatever happened before; its payload
//   carries that scheduled time, so latency includes any time the driver or a server fell
//   behind (no coordinated omission).
// - Every pair's sender and receiver sit on different replicas, so every message crosses Redis.
// - Knee: the highest offered load whose p99 stays <= 50 ms with nothing lost.
// - CPU per message per process from /proc/<pid>/stat over the fixed moderate-load run.
// - RSS per idle connection with 10,000 sockets open on one process.
//
// Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
//
// Settings (environment): BENCH_TARGETS=relay,gateway  BENCH_PAIRS=40  BENCH_STEP_MS=3000
// BENCH_LOADS=500,1000,...  BENCH_MODERATE=500  BENCH_IDLE=10000  BENCH_REDIS_URL  BENCH_MYSQL_URL
// BENCH_NODE_ARGS (extra node flags for the servers, e.g. --cpu-prof)
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection as tcpConnect } from 'node:net';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import Redis from 'ioredis';
import { createConnection as mysqlConnect } from 'mysql2/promise';
import { WebSocket } from 'ws';

const ROOT = resolve(__dirname, '..');
const GATEWAY_MAIN = join(ROOT, 'dist/apps/chat-gateway/main.js');
const RELAY_MAIN = join(ROOT, 'bench/raw-relay.ts');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const PAIRS = int('BENCH_PAIRS', 40);
const STEP_MS = int('BENCH_STEP_MS', 3000);
const MODERATE = int('BENCH_MODERATE', 500);
const IDLE = int('BENCH_IDLE', 10_000);
const LOADS = (process.env.BENCH_LOADS ?? '500,1000,2000,3000,4000,5000,6000,8000,10000,12000,16000,20000,24000,32000,40000,48000,64000')
  .split(',')
  .map(Number);
const P99_BUDGET_MS = 50;
const DRAIN_MS = 3000;
const CLK_TCK = 100;
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

function int(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- processes and /proc

interface Proc {
  name: string;
  pid: number;
  child?: ChildProcess;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : NaN;
}

async function redisPid(): Promise<number | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

function mariadbPid(): number | undefined {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      const out = execFileSync('pidof', [name], { encoding: 'utf8' });
      const pid = Number(out.trim().split(/\s+/)[0]);
      if (pid) return pid;
    } catch {
      // not running under that name
    }
  }
  return undefined;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolveWait, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`server on ${port} exited with ${child.exitCode}`));
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolveWait();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

async function startServer(name: string, args: string[], env: Record<string, string>, port: number): Promise<Proc> {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  try {
    await waitForPort(port, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${(e as Error).message}\n${stderr}`);
  }
  return { name, pid: child.pid!, child };
}

async function stopServer(proc: Proc): Promise<void> {
  const child = proc.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

// ---------------------------------------------------------------- targets

interface BenchUser {
  id: number;
  token?: string;
}

interface Target {
  name: string;
  /** Starts replica `index` (0 or 1) on `port`. */
  start(index: number, port: number, options?: { redis?: boolean }): Promise<Proc>;
  users(count: number): Promise<BenchUser[]>;
  url(port: number, user: BenchUser): string;
  /** Processes besides the replicas whose CPU belongs to this target's work. */
  extraProcs(): Proc[];
  cleanup(): Promise<void>;
}

function relayTarget(redis: Proc | undefined): Target {
  let nextUser = 1;
  const prefix = `bench:${RUN_ID}:relay:`;
  return {
    name: 'raw relay',
    start: (index, port, options = {}) =>
      startServer(
        `relay-${index + 1}`,
        ['-r', 'ts-node/register/transpile-only', RELAY_MAIN],
        { REDIS_URL: options.redis === false ? '' : REDIS_URL, KEY_PREFIX: prefix },
        port,
      ),
    users: async (count) => Array.from({ length: count }, () => ({ id: nextUser++ })),
    url: (port, user) => `ws://127.0.0.1:${port}/chat/${user.id}`,
    extraProcs: () => (redis ? [redis] : []),
    cleanup: async () => undefined,
  };
}

async function gatewayTarget(redis: Proc | undefined): Promise<Target> {
  const database = `bench_chat_${RUN_ID}`;
  const admin = await mysqlConnect(`${MYSQL_URL}?multipleStatements=true`);
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const databaseUrl = `${MYSQL_URL}/${database}`;
  const key = new TextEncoder().encode(JWT_SECRET);
  const mariadb = mariadbPid();
  let migrated = false;
  let phone = 13_000_000_000;
  const env = (index: number, redisOn: boolean): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisOn ? REDIS_URL : '',
    REDIS_KEY_PREFIX: `bench:${RUN_ID}:gw:`,
    JWT_SECRET,
    INSTANCE_ID: `bench-gw-${index + 1}`,
    // The first replica migrates; the others must not race it.
    DATABASE_RUN_MIGRATIONS: migrated ? 'false' : 'true',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // Counted in Redis as in production, but never reached: the bench measures capacity.
    CHAT_RATE_LIMIT_COUNT: '1000000000',
  });
  return {
    name: 'chat gateway',
    start: async (index, port, options = {}) => {
      const proc = await startServer(`gateway-${index + 1}`, [GATEWAY_MAIN], env(index, options.redis !== false), port);
      migrated = true;
      return proc;
    },
    users: async (count) => {
      const ids: number[] = [];
      for (let done = 0; done < count; done += 1000) {
        const rows = Array.from({ length: Math.min(1000, count - done) }, () => {
          phone += 1;
          return [`bench${phone}`, String(phone), '2024-01-01 00:00:00', '2024-01-01 00:00:00'];
        });
        const [result] = (await admin.query(
          `INSERT INTO \`${database}\`.\`user\` (name, phone, create_time, update_time) VALUES ?`,
          [rows],
        )) as unknown as [{ insertId: number; affectedRows: number }];
        for (let i = 0; i < result.affectedRows; i++) ids.push(result.insertId + i);
      }
      const now = Math.floor(Date.now() / 1000);
      return Promise.all(
        ids.map(async (id) => ({
          id,
          token: await new SignJWT({ id })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setIssuedAt(now)
            .setExpirationTime(now + 3600)
            .sign(key),
        })),
      );
    },
    url: (port, user) => `ws://127.0.0.1:${port}/chat/${user.id}?token=${user.token}`,
    extraProcs: () => [...(redis ? [redis] : []), ...(mariadb ? [{ name: 'mariadb', pid: mariadb }] : [])],
    cleanup: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    },
  };
}

// ---------------------------------------------------------------- clients

interface Frame {
  text?: string;
  sender?: unknown;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`connect timeout ${url.replace(/token=[^&]+/, 'token=…')}`));
    }, 15_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolveOpen(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused with ${res.statusCode}`));
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Opens `urls` with at most `concurrency` handshakes in flight. */
async function openMany(urls: string[], concurrency = 100): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array(urls.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, urls.length) }, async () => {
      while (next < urls.length) {
        const i = next++;
        sockets[i] = await open(urls[i]);
      }
    }),
  );
  return sockets;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((r) => {
          if (ws.readyState === WebSocket.CLOSED) return r();
          ws.once('close', () => r());
          ws.close(1000);
          setTimeout(() => {
            ws.terminate();
            r();
          }, 2000).unref();
        }),
    ),
  );
}

// ---------------------------------------------------------------- load

interface Pair {
  senderId: number;
  receiverId: number;
  sender: WebSocket;
}

interface LevelResult {
  offered: number;
  sent: number;
  notSent: number;
  delivered: number;
  lost: number;
  errors: number;
  deliveredPerSec: number;
  p50: number;
  p99: number;
  max: number;
  cpuMsPerMessage: Record<string, number>;
  pass: boolean;
}

class Recorder {
  tag = '';
  latencies: number[] = [];
  errors = 0;
  stray = 0;

  onFrame(data: Buffer | string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(data.toString()) as Frame;
    } catch {
      this.errors += 1;
      return;
    }
    const parts = typeof frame.text === 'string' ? frame.text.split('|') : [];
    if (parts[0] !== 'B') {
      // An error frame (`sender: 0`) or anything else that is not our payload.
      this.errors += 1;
      return;
    }
    if (parts[1] !== this.tag) {
      this.stray += 1;
      return;
    }
    this.latencies.push(performance.now() - Number(parts[2]));
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function runLevel(
  pairs: Pair[],
  recorder: Recorder,
  rate: number,
  durationMs: number,
  procs: Proc[],
  tag: string,
): Promise<LevelResult> {
  recorder.tag = tag;
  recorder.latencies = [];
  recorder.errors = 0;
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const cpuBefore = procs.map((p) => cpuMs(p.pid));
  const driverBefore = process.cpuUsage();
  const t0 = performance.now() + 20;
  let k = 0;
  // Due while the sender's socket was closed: counted as lost, and shown.
  let notSent = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (k < total && t0 + k * interval <= now) {
        const pair = pairs[k % pairs.length];
        const scheduled = t0 + k * interval;
        if (pair.sender.readyState === WebSocket.OPEN) {
          pair.sender.send(
            JSON.stringify({ senderId: pair.senderId, to: pair.receiverId, text: `B|${tag}|${scheduled.toFixed(3)}|${k}` }),
          );
        } else {
          notSent += 1;
        }
        k += 1;
      }
      if (k < total) setTimeout(tick, Math.max(0, t0 + k * interval - performance.now()));
      else done();
    };
    setTimeout(tick, 20);
  });
  const drainUntil = performance.now() + DRAIN_MS;
  while (recorder.latencies.length < total && performance.now() < drainUntil) await sleep(10);
  const cpuAfter = procs.map((p) => cpuMs(p.pid));
  const driver = process.cpuUsage(driverBefore);

  const delivered = recorder.latencies.length;
  const sorted = Float64Array.from(recorder.latencies).sort();
  const cpuMsPerMessage: Record<string, number> = {};
  procs.forEach((p, i) => (cpuMsPerMessage[p.name] = round((cpuAfter[i] - cpuBefore[i]) / Math.max(1, delivered), 4)));
  cpuMsPerMessage.driver = round((driver.user + driver.system) / 1000 / Math.max(1, delivered), 4);
  const p99 = percentile(Array.from(sorted), 99);
  const lost = total - delivered;
  return {
    offered: rate,
    sent: total,
    notSent,
    delivered,
    lost,
    errors: recorder.errors,
    deliveredPerSec: Math.round(delivered / (durationMs / 1000)),
    p50: round(percentile(Array.from(sorted), 50), 2),
    p99: round(p99, 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
    cpuMsPerMessage,
    pass: lost === 0 && recorder.errors === 0 && p99 <= P99_BUDGET_MS,
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

interface TargetResult {
  target: string;
  moderate?: LevelResult;
  levels: LevelResult[];
  knee?: { offered: number; deliveredPerSec: number; p99: number; cpuMsPerMessage: Record<string, number>; capped: boolean };
  idle?: { connections: number; rssBeforeMb: number; rssAfterMb: number; kbPerConnection: number };
  error?: string;
}

/** One target's two replicas with their connected pairs, kept open for the whole comparison. */
interface Session {
  target: Target;
  result: TargetResult;
  replicas: Proc[];
  sockets: WebSocket[];
  pairs: Pair[];
  recorder: Recorder;
  procs: Proc[];
  lastPass?: LevelResult;
  firstFail?: LevelResult;
  closing?: boolean;
}

async function openSession(target: Target, ports: [number, number]): Promise<Session> {
  const session: Session = {
    target,
    result: { target: target.name, levels: [] },
    replicas: [],
    sockets: [],
    pairs: [],
    recorder: new Recorder(),
    procs: [],
  };
  try {
    for (let i = 0; i < 2; i++) session.replicas.push(await target.start(i, ports[i]));
    const users = await target.users(PAIRS * 2);
    // Pair i: sender on replica i % 2, receiver on the other one.
    const senderUrls: string[] = [];
    const receiverUrls: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      senderUrls.push(target.url(ports[i % 2], users[2 * i]));
      receiverUrls.push(target.url(ports[(i + 1) % 2], users[2 * i + 1]));
    }
    const receivers = await openMany(receiverUrls);
    const senders = await openMany(senderUrls);
    session.sockets = [...receivers, ...senders];
    for (const ws of session.sockets) {
      ws.on('message', (data: Buffer) => session.recorder.onFrame(data));
      ws.on('close', (code) => {
        if (!session.closing) log(`  ${target.name}: a socket closed during the run (code ${code})`);
      });
    }
    session.pairs = senders.map((sender, i) => ({ sender, senderId: users[2 * i].id, receiverId: users[2 * i + 1].id }));
    session.procs = [...session.replicas, ...target.extraProcs()];
  } catch (e) {
    await closeSession(session);
    throw e;
  }
  return session;
}

async function closeSession(session: Session): Promise<void> {
  session.closing = true;
  await closeAll(session.sockets);
  for (const r of session.replicas) await stopServer(r);
}

/** Runs `load` on one session; the machine is shared, so a failing level gets one more run. */
async function attempt(session: Session, load: number): Promise<LevelResult> {
  let level: LevelResult | undefined;
  for (let run = 1; run <= 2 && !level?.pass; run++) {
    level = await runLevel(session.pairs, session.recorder, load, STEP_MS, session.procs, `L${load}r${run}`);
    session.result.levels.push(level);
    log(
      `  ${session.target.name.padEnd(12)} offered ${load}/s: delivered ${level.deliveredPerSec}/s, p50 ${level.p50} ms, ` +
        `p99 ${level.p99} ms, lost ${level.lost}${level.notSent ? ` (${level.notSent} not sent: socket closed)` : ''}, ` +
        `errors ${level.errors}${level.pass ? '' : run === 1 ? '  <- over, once more' : '  <- over'}`,
    );
    await sleep(300);
  }
  if (level!.pass) {
    if (!session.lastPass || level!.offered > session.lastPass.offered) session.lastPass = level;
  } else if (!session.firstFail || level!.offered < session.firstFail.offered) {
    session.firstFail = level;
  }
  return level!;
}

/**
 * Both targets run side by side and take turns at every step, so whatever else the machine is
 * doing weighs on both alike.
 */
async function compareThroughput(sessions: Session[]): Promise<void> {
  for (const s of sessions) await runLevel(s.pairs, s.recorder, MODERATE, 2000, s.procs, 'warm');
  // Moderate load: two turns each, the calmer one kept for each target.
  for (let turn = 1; turn <= 2; turn++) {
    for (const s of sessions) {
      const level = await runLevel(s.pairs, s.recorder, MODERATE, Math.max(STEP_MS, 5000), s.procs, `moderate${turn}`);
      log(
        `  ${s.target.name.padEnd(12)} moderate ${MODERATE}/s (turn ${turn}): p50 ${level.p50} ms, p99 ${level.p99} ms, ` +
          `lost ${level.lost}${level.notSent ? ` (${level.notSent} not sent: socket closed)` : ''}`,
      );
      if (!s.result.moderate || level.p99 < s.result.moderate.p99) s.result.moderate = level;
    }
  }
  for (const load of LOADS) {
    const racing = sessions.filter((s) => !s.firstFail);
    if (!racing.length) break;
    for (const s of racing) await attempt(s, load);
  }
  // One bisection step between each target's last good load and its first bad one.
  for (const s of sessions) {
    const { lastPass, firstFail } = s;
    if (lastPass && firstFail && firstFail.offered - lastPass.offered > lastPass.offered * 0.2) {
      await attempt(s, Math.round((lastPass.offered + firstFail.offered) / 2));
    }
    if (s.lastPass) {
      s.result.knee = {
        offered: s.lastPass.offered,
        deliveredPerSec: s.lastPass.deliveredPerSec,
        p99: s.lastPass.p99,
        cpuMsPerMessage: s.lastPass.cpuMsPerMessage,
        // Nothing failed: the knee is above the highest load tried.
        capped: !s.firstFail,
      };
    }
  }
}

async function measureIdle(target: Target, redisOn: boolean): Promise<TargetResult['idle']> {
  const port = 19_103;
  const server = await target.start(0, port, { redis: redisOn });
  let sockets: WebSocket[] = [];
  try {
    const users = await target.users(IDLE);
    // Warm the server's code paths with a few sockets before the baseline reading.
    await closeAll(await openMany(users.slice(0, 10).map((u) => target.url(port, u))));
    await sleep(1500);
    const before = rssBytes(server.pid);
    sockets = await openMany(users.map((u) => target.url(port, u)), 200);
    await sleep(3000);
    const after = rssBytes(server.pid);
    const alive = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    return {
      connections: alive,
      rssBeforeMb: round(before / 2 ** 20, 1),
      rssAfterMb: round(after / 2 ** 20, 1),
      kbPerConnection: round((after - before) / 1024 / Math.max(1, alive), 2),
    };
  } finally {
    await closeAll(sockets);
    await stopServer(server);
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_TARGETS ?? 'relay,gateway').split(',').map((s) => s.trim());
  const redis = await redisPid().then((pid) => (pid ? { name: 'redis', pid } : undefined));
  if (!redis) throw new Error(`no Redis answering at ${REDIS_URL}`);
  const results: TargetResult[] = [];
  const idle: Record<string, TargetResult['idle'] | string> = {};

  const targets: Target[] = [];
  if (wanted.includes('relay')) targets.push(relayTarget(redis));
  let gateway: Target | undefined;
  if (wanted.includes('gateway')) {
    if (existsSync(GATEWAY_MAIN)) targets.push((gateway = await gatewayTarget(redis)));
    else log(`chat gateway: skipped, ${GATEWAY_MAIN} is missing (run npm run build first)`);
  }
  try {
    const sessions: Session[] = [];
    try {
      for (const [i, target] of targets.entries()) {
        log(`${target.name}: two replicas, ${PAIRS} cross-replica pairs`);
        sessions.push(await openSession(target, [19_101 + 10 * i, 19_102 + 10 * i]));
      }
      await compareThroughput(sessions);
    } finally {
      for (const s of sessions) await closeSession(s);
      results.push(...sessions.map((s) => s.result));
    }
    if (wanted.includes('relay')) {
      log(`bare ws: ${IDLE} idle sockets`);
      idle['bare ws'] = await measureIdle(relayTarget(undefined), false);
      log(`raw relay: ${IDLE} idle sockets`);
      idle['raw relay'] = await measureIdle(relayTarget(redis), true);
    }
    if (gateway) {
      log(`chat gateway: ${IDLE} idle sockets`);
      idle['chat gateway'] = await measureIdle(gateway, true);
    }
  } finally {
    await gateway?.cleanup();
  }

  const relay = results.find((r) => r.target === 'raw relay');
  const ours = results.find((r) => r.target === 'chat gateway');
  const kneeRatio = relay?.knee && ours?.knee ? round(ours.knee.deliveredPerSec / relay.knee.deliveredPerSec, 2) : undefined;
  const report = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    settings: { pairs: PAIRS, stepMs: STEP_MS, moderate: MODERATE, loads: LOADS, p99BudgetMs: P99_BUDGET_MS, idleConnections: IDLE },
    results,
    idle,
    ratios: {
      gatewayKneeOverRelayKnee: kneeRatio,
      // When the relay never failed, its knee is a lower bound and the ratio an upper bound.
      relayKneeCapped: relay?.knee?.capped ?? false,
      goalKneeRatio: 0.5,
      gatewayKbPerIdleConnection:
        typeof idle['chat gateway'] === 'object' ? idle['chat gateway'].kbPerConnection : undefined,
      goalKbPerIdleConnection: 20,
    },
  };

  printTable(report.results, idle, kneeRatio, relay?.knee?.capped);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `chat-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'chat-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwritten: ${file.slice(ROOT.length + 1)}`);
}

function printTable(
  results: TargetResult[],
  idle: Record<string, TargetResult['idle'] | string>,
  kneeRatio?: number,
  relayCapped?: boolean,
): void {
  const cpu = (m?: Record<string, number>) =>
    m
      ? Object.entries(m)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : '-';
  const rows: string[][] = [['target', 'knee msg/s', `p50 @${MODERATE}/s`, `p99 @${MODERATE}/s`, 'CPU ms/msg at the knee', `CPU ms/msg @${MODERATE}/s`]];
  for (const r of results) {
    rows.push([
      r.target,
      r.knee ? `${r.knee.capped ? '>= ' : ''}${r.knee.deliveredPerSec}` : r.error ? 'failed' : `< ${LOADS[0]}`,
      r.moderate ? `${r.moderate.p50} ms` : '-',
      r.moderate ? `${r.moderate.p99} ms` : '-',
      cpu(r.knee?.cpuMsPerMessage),
      r.error ?? cpu(r.moderate?.cpuMsPerMessage),
    ]);
  }
  log('');
  printRows(rows);
  log('');
  const idleRows: string[][] = [['idle sockets', 'connections', 'RSS before MB', 'RSS after MB', 'KB per connection']];
  for (const [name, v] of Object.entries(idle)) {
    if (typeof v === 'object' && v) idleRows.push([name, String(v.connections), String(v.rssBeforeMb), String(v.rssAfterMb), String(v.kbPerConnection)]);
  }
  printRows(idleRows);
  if (kneeRatio !== undefined) {
    log(`\ngateway knee / raw relay knee = ${relayCapped ? '<= ' : ''}${kneeRatio} (goal >= 0.5)`);
  }
}

function printRows(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) log(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
