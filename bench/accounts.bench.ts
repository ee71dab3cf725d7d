// `npm run bench:accounts`:
// 1. Sign-in: the history API in a process pinned to one core (taskset -c 0 when there is one),
//    MariaDB, the configured argon2id parameters. Login p50/p99 one at a time, then logins per
//    second with BENCH_LOGIN_CONCURRENCY (8) in flight for BENCH_LOGIN_MS (10 s).
// 2. The gateway's send knee with the chat policy off (CHAT_POLICY=anyone, no blocks) and on
//    (CHAT_POLICY=friends, every pair friends, and blocks between other users), in the same run,
//    the two taking turns at each load: open-loop load over BENCH_PAIRS (200) conversations for
//    BENCH_STEP_MS (3 s) per level; a level passes when every message arrived and the median
//    p99 of BENCH_ROUNDS (2) rounds stays <= 50 ms. Knee: the highest level that passes.
//
// Figures vary with what else the machine does: compare the two columns of one run, not runs.
// Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createConnection as mysqlConnect } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { WebSocket } from 'ws';
import { dataSourceOptions } from '../libs/database/src/data-source-options';
import { sleep } from '../test/support/wait';
import { int } from './support/args';
import { percentile } from './support/stats';
import { benchTokens } from './support/tokens';

const ROOT = resolve(__dirname, '..');
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const PAIRS = int('BENCH_PAIRS', 200);
const STEP_MS = int('BENCH_STEP_MS', 3000);
const ROUNDS = int('BENCH_ROUNDS', 2);
const LOADS = (process.env.BENCH_LOADS ?? '500,1000,2000,3000,4000,6000').split(',').map(Number);
const LOGIN_MS = int('BENCH_LOGIN_MS', 10_000);
const LOGIN_CONCURRENCY = int('BENCH_LOGIN_CONCURRENCY', 8);
const P99_BUDGET_MS = 50;
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const TS_NODE = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

const log = (line: string) => process.stdout.write(`${line}\n`);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

interface Proc {
  child: ChildProcess;
  port: number;
}

function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((done) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), done(true)));
      s.once('error', () => done(false));
    });
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`port ${port} not open within ${timeoutMs} ms`);
}

function pinnable(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}

async function start(main: string, env: Record<string, string>, oneCore = false): Promise<Proc> {
  const port = freePort();
  const node = [process.execPath, ...TS_NODE, join(ROOT, main)];
  const [cmd, ...args] = oneCore && pinnable() ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', PORT: String(port), HOST: '127.0.0.1', JWT_SECRET, CHAT_DEV_MODE: 'false', LOG_LEVEL: 'warn', DATABASE_RUN_MIGRATIONS: 'false', ...env },
    stdio: ['ignore', 'ignore', process.env.BENCH_SERVER_STDERR ? 'inherit' : 'ignore'],
  });
  await waitForPort(port, child);
  return { child, port };
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise((done) => p.child.once('exit', done));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

async function post(port: number, path: string, form: Record<string, string>): Promise<{ status: number; msg?: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return (await res.json()) as { status: number; msg?: string };
}

// ---------------------------------------------------------------- sign-in

async function benchLogin(databaseUrl: string) {
  const api = await start('apps/history-api/src/main.ts', {
    DATABASE_URL: databaseUrl,
    ACCOUNTS_REGISTRATION: 'open',
    ACCOUNTS_LOGIN_MAX_PER_PHONE: '1000000',
    ACCOUNTS_LOGIN_MAX_PER_ADDRESS: '1000000',
  }, true);
  try {
    const users = Array.from({ length: 50 }, (_, i) => ({ phone: `1770000${String(i).padStart(4, '0')}`, password: `bench-password-${i}` }));
    for (const u of users) {
      const r = await post(api.port, '/user/register.do', { phone: u.phone, password: u.password });
      if (r.status !== 0) throw new Error(`register failed: ${r.msg}`);
    }
    // Warm-up, then one at a time.
    for (let i = 0; i < 20; i++) await post(api.port, '/user/login.do', { phoneNumber: users[i % 50].phone, password: users[i % 50].password });
    const one: number[] = [];
    for (let i = 0; i < 200; i++) {
      const u = users[i % users.length];
      const t = performance.now();
      const r = await post(api.port, '/user/login.do', { phoneNumber: u.phone, password: u.password });
      one.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`login failed: ${r.msg}`);
    }
    one.sort((a, b) => a - b);
    // Throughput with several in flight.
    let done = 0;
    const latencies: number[] = [];
    const until = performance.now() + LOGIN_MS;
    await Promise.all(
      Array.from({ length: LOGIN_CONCURRENCY }, async (_, w) => {
        for (let i = w; performance.now() < until; i += LOGIN_CONCURRENCY) {
          const u = users[i % users.length];
          const t = performance.now();
          await post(api.port, '/user/login.do', { phoneNumber: u.phone, password: u.password });
          latencies.push(performance.now() - t);
          done += 1;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return {
      params: `argon2id m=${process.env.ACCOUNTS_ARGON2_MEMORY_KIB ?? 19456} KiB, t=${process.env.ACCOUNTS_ARGON2_TIME_COST ?? 2}, p=1`,
      pinnedToOneCore: pinnable(),
      sequential: { n: one.length, p50: round(percentile(one, 50)), p99: round(percentile(one, 99)) },
      concurrent: { inFlight: LOGIN_CONCURRENCY, loginsPerSec: round(done / (LOGIN_MS / 1000), 1), p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    };
  } finally {
    await stop(api);
  }
}

// ---------------------------------------------------------------- gateway knee

interface Session {
  name: string;
  proc: Proc;
  senders: WebSocket[];
  pairs: { senderId: number; receiverId: number }[];
  latencies: number[];
  tag: string;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => (ws.terminate(), fail(new Error('open timed out'))), 20_000);
    ws.once('open', () => (clearTimeout(timer), ok(ws)));
    ws.once('error', (e) => (clearTimeout(timer), fail(e)));
  });
}

async function openSession(name: string, databaseUrl: string, policy: 'anyone' | 'friends', users: { id: number; token: string }[]): Promise<Session> {
  const proc = await start('apps/chat-gateway/src/main.ts', {
    DATABASE_URL: databaseUrl,
    CHAT_POLICY: policy,
    CHAT_RATE_LIMIT_COUNT: '0',
    CHAT_INBOUND_FRAMES_PER_SEC: '0',
    CHAT_INBOUND_OVERRUNS: '0',
    NODE_ENV: 'production',
  });
  const session: Session = { name, proc, senders: [], pairs: [], latencies: [], tag: '' };
  for (let i = 0; i < PAIRS; i++) {
    const s = users[2 * i];
    const r = users[2 * i + 1];
    session.pairs.push({ senderId: s.id, receiverId: r.id });
    session.senders.push(await openSocket(`ws://127.0.0.1:${proc.port}/chat/${s.id}?token=${s.token}`));
    const receiver = await openSocket(`ws://127.0.0.1:${proc.port}/chat/${r.id}?token=${r.token}`);
    receiver.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { text?: string; type?: string };
      const parts = typeof f.text === 'string' ? f.text.split('|') : [];
      if (parts[0] === 'B' && parts[1] === session.tag) session.latencies.push(performance.now() - Number(parts[2]));
    });
    session.senders.push(receiver);
  }
  return session;
}

async function runRound(session: Session, rate: number): Promise<{ sent: number; delivered: number; p99: number; p50: number }> {
  session.tag = `${rate}-${randomBytes(3).toString('hex')}`;
  session.latencies = [];
  const total = Math.round((rate * STEP_MS) / 1000);
  const interval = 1000 / rate;
  const t0 = performance.now() + 20;
  let k = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (k < total && t0 + k * interval <= now) {
        const i = k % session.pairs.length;
        const pair = session.pairs[i];
        session.senders[2 * i].send(JSON.stringify({ to: pair.receiverId, text: `B|${session.tag}|${(t0 + k * interval).toFixed(3)}` }));
        k += 1;
      }
      if (k < total) setTimeout(tick, Math.max(0, t0 + k * interval - performance.now()));
      else done();
    };
    setTimeout(tick, 20);
  });
  const until = performance.now() + 3000;
  while (session.latencies.length < total && performance.now() < until) await sleep(10);
  const sorted = [...session.latencies].sort((a, b) => a - b);
  return { sent: total, delivered: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

async function closeSession(s: Session): Promise<void> {
  for (const ws of s.senders) ws.terminate();
  await stop(s.proc);
}

async function benchKnee(databaseUrl: string, admin: Awaited<ReturnType<typeof mysqlConnect>>, database: string) {
  // 2 users per pair, plus 200 others who block and are blocked (the block table is not empty).
  const count = PAIRS * 2 + 200;
  const rows = Array.from({ length: count }, (_, i) => [`bench${i}`, `1660${String(i).padStart(7, '0')}`, '2024-01-01 00:00:00', '2024-01-01 00:00:00']);
  const [result] = (await admin.query(`INSERT INTO \`${database}\`.\`user\` (name, phone, create_time, update_time) VALUES ?`, [rows])) as unknown as [{ insertId: number }];
  const ids = Array.from({ length: count }, (_, i) => result.insertId + i);
  const concern: unknown[][] = [];
  for (let i = 0; i < PAIRS; i++) {
    concern.push([ids[2 * i], ids[2 * i + 1]], [ids[2 * i + 1], ids[2 * i]]);
  }
  await admin.query(`INSERT INTO \`${database}\`.concern (\`user\`, friending) VALUES ?`, [concern]);
  const blocks: unknown[][] = [];
  for (let i = PAIRS * 2; i < count; i++) blocks.push([ids[i], ids[i % (PAIRS * 2)], Date.now()], [ids[i % (PAIRS * 2)], ids[i], Date.now()]);
  await admin.query(`INSERT INTO \`${database}\`.user_block (blocker, blocked, created_at) VALUES ?`, [blocks]);
  const sign = benchTokens(JWT_SECRET, 7200);
  const users = await Promise.all(ids.map(async (id) => ({ id, token: await sign(id) })));

  const results: Record<string, { load: number; pass: boolean; p99: number; lost: number }[]> = { off: [], on: [] };
  const knees: Record<string, number> = { off: 0, on: 0 };
  const failed: Record<string, boolean> = { off: false, on: false };
  // Both gateways run throughout; at each load they take turns, so whatever else the machine does weighs on both alike.
  const sessions = {
    off: await openSession('off', databaseUrl, 'anyone', users),
    on: await openSession('on', databaseUrl, 'friends', users),
  };
  try {
    for (const name of ['off', 'on'] as const) await runRound(sessions[name], 500); // warm-up
    for (const load of LOADS) {
      for (const name of ['off', 'on'] as const) {
        if (failed[name]) continue;
        const rounds = [];
        for (let r = 0; r < ROUNDS; r++) rounds.push(await runRound(sessions[name], load));
        const lost = rounds.reduce((n, r) => n + r.sent - r.delivered, 0);
        const p99 = [...rounds.map((r) => r.p99)].sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
        const pass = lost === 0 && p99 <= P99_BUDGET_MS;
        results[name].push({ load, pass, p99, lost });
        log(`  policy ${name.padEnd(3)} ${String(load).padStart(6)} msg/s: p99 ${p99} ms, lost ${lost} -> ${pass ? 'pass' : 'over'}`);
        if (pass) knees[name] = load;
        else failed[name] = true;
        await sleep(1000);
      }
      if (failed.off && failed.on) break;
    }
  } finally {
    await Promise.all([closeSession(sessions.off), closeSession(sessions.on)]);
  }
  return { knees, results };
}

async function main(): Promise<void> {
  const database = `bench_accounts_${RUN_ID}`;
  const admin = await mysqlConnect({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const databaseUrl = `${MYSQL_URL}/${database}`;
  try {
    const ds = new DataSource(dataSourceOptions(databaseUrl, true));
    await ds.initialize();
    await ds.destroy();
    log(`bench:accounts (${new Date().toISOString()}), load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    log('sign-in on one core:');
    const login = await benchLogin(databaseUrl);
    log(`  ${login.params}${login.pinnedToOneCore ? '' : ' (not pinned: no taskset)'}`);
    log(`  one at a time: p50 ${login.sequential.p50} ms, p99 ${login.sequential.p99} ms`);
    log(`  ${login.concurrent.inFlight} in flight: ${login.concurrent.loginsPerSec} logins/s, p50 ${login.concurrent.p50} ms, p99 ${login.concurrent.p99} ms`);
    log(`gateway send knee, chat policy off vs on (friends + blocks), ${PAIRS} pairs, ${ROUNDS} rounds of ${STEP_MS} ms per level:`);
    const knee = await benchKnee(databaseUrl, admin, database);
    const ratio = knee.knees.off ? round(knee.knees.on / knee.knees.off, 3) : NaN;
    log(`  knee: off ${knee.knees.off} msg/s, on ${knee.knees.on} msg/s (on/off ${ratio}; goal >= 0.95)`);
    const out = join(ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `accounts-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ login, knee, loadAverage: (await import('node:os')).loadavg() }, null, 2));
    log(`written ${file}`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
