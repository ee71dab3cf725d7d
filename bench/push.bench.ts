// `npm run bench:push`: push to offline phones, measured end to end on this machine.
//
// - A fresh MariaDB database; BENCH_PUSH_USERS (1,000) offline recipients with a device each and
//   BENCH_PUSH_SENDERS (50) senders on v2 sockets of one chat-gateway process.
// - "on": the gateway with PUSH_PROVIDER=webhook (it writes the outbox), BENCH_PUSH_WORKERS (2)
//   push-worker processes, and a webhook receiver in this process that checks every signature.
//   BENCH_PUSH_MESSAGES (10,000) messages, spread over the recipients round robin, each sent as
//   fast as the window of unacknowledged sends allows (BENCH_PUSH_WINDOW per sender).
//   Figures: chat throughput (messages acknowledged per second), notifications, notifications per
//   second (from the first due time to the last arrival), and the store-to-push latency beyond
//   the delay (arrival - stored_at - PUSH_DELAY_MS) at p50/p99.
// - "off": the same load on a gateway without PUSH_PROVIDER; rounds alternate off/on
//   (BENCH_PUSH_ROUNDS, 1), so the two chat throughputs come from the same run.
//
// PUSH_* settings in the environment reach the gateway and the workers (recorded in the JSON).
// Everything talks to 127.0.0.1 only; every wait is bounded.
import { ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createConnection as mysqlConnect } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { WebSocket } from 'ws';
import { dataSourceOptions } from '@app/database';
import { verifyWebhook } from '../apps/push-worker/src/providers/webhook-signature';
import { int, nodeArgs } from './support/args';
import { startProcess, stopProcess } from './support/processes';
import { percentile } from './support/stats';
import { benchTokens } from './support/tokens';

const ROOT = resolve(__dirname, '..');
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const USERS = int('BENCH_PUSH_USERS', 1000);
const SENDERS = int('BENCH_PUSH_SENDERS', 50);
const MESSAGES = int('BENCH_PUSH_MESSAGES', 10_000);
const WORKERS = int('BENCH_PUSH_WORKERS', 2);
const WINDOW = int('BENCH_PUSH_WINDOW', 20);
const ROUNDS = int('BENCH_PUSH_ROUNDS', 1);
const DELAY_MS = int('BENCH_PUSH_DELAY_MS', 3000, { min: 0 });
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const HOOK_SECRET = `hook-${randomBytes(16).toString('hex')}`;
const SOURCE = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
const signToken = benchTokens(JWT_SECRET, 3600);

// BENCH_PUSH_KNEE (1): afterwards, the chat knee with push on beside off, in one run of the chat
// bench (bench/chat-bench.ts, targets gateway and gateway-push, alternating rounds; BENCH_LOADS and
// BENCH_ROUNDS reach it), its JSON as bench/results/push-chat-*.json.
const KNEE = process.env.BENCH_PUSH_KNEE !== '0';

/** Runs the chat bench on the gateway with push off and on; answers the two knees. */
function chatKnee(): { kneeOff: number | null; kneeOn: number | null; jobs: Record<string, number>; notificationsSent: number; levels: Record<string, unknown>[] } | string {
  process.stdout.write('\nchat knee with push on beside off (bench/chat-bench.ts):\n');
  const run = spawnSync(process.execPath, [...SOURCE, 'bench/chat-bench.ts'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_TARGETS: 'gateway,gateway-push', BENCH_IDLE: 'off', BENCH_RESULT_NAME: 'push-chat', BENCH_LOADS: process.env.BENCH_LOADS ?? '1000,2000,3000,4000,6000' },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 20 * 60_000,
  });
  if (run.status !== 0) return `the chat bench failed (exit ${run.status ?? run.signal})`;
  const chat = JSON.parse(readFileSync(join(ROOT, 'bench/results/push-chat-latest.json'), 'utf8')) as {
    push: { kneeOff: number | null; kneeOn: number | null; jobs: Record<string, number>; notificationsSent: number };
    results: { target: string; levels: { offered: number; p50: number; p99: number; pass: boolean }[] }[];
  };
  return { ...chat.push, levels: chat.results.map((r) => ({ target: r.target, levels: r.levels.map((l) => ({ offered: l.offered, p50: l.p50, p99: l.p99, pass: l.pass })) })) };
}

type Arrival = { pushId: string; userId: number; count: number; at: number; verified: boolean };

async function startServer(main: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  const { child } = await startProcess({
    name: main,
    args: [...nodeArgs(), ...SOURCE, main],
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', PORT: String(port), HOST: '127.0.0.1', JWT_SECRET, CHAT_DEV_MODE: 'false', DATABASE_RUN_MIGRATIONS: 'false', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', CHAT_RATE_LIMIT_COUNT: '0', ...env },
    ready: { url: `http://127.0.0.1:${port}/health/ready`, status: 200 },
    timeoutMs: 90_000,
  });
  return child;
}

// Bounded: a process that ignores SIGTERM for 30 s is killed.
const stop = (child: ChildProcess) => stopProcess({ child }, 30_000);
let nextPort = 20000 + Math.floor(Math.random() * 20000);
const port = () => nextPort++;

async function openSender(wsUrl: string, id: number): Promise<WebSocket> {
  const token = await signToken(id);
  const ws = new WebSocket(`${wsUrl}/chat/${id}?token=${token}`, ['chat.v2']);
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return ws;
}

/** Sends `count` messages from the senders round robin, at most WINDOW unacknowledged per sender; resolves with the elapsed ms. */
async function load(wsUrl: string, senders: number[], recipients: number[], count: number, tag: string): Promise<number> {
  const sockets = await Promise.all(senders.map((s) => openSender(wsUrl, s)));
  const t0 = Date.now();
  const perSender = senders.map((_, i) => [...Array(count).keys()].filter((k) => k % senders.length === i));
  await Promise.all(
    sockets.map(
      (ws, i) =>
        new Promise<void>((done, fail) => {
          const mine = perSender[i];
          let sent = 0;
          let acked = 0;
          const timer = setTimeout(() => fail(new Error(`sender ${senders[i]}: ${acked}/${mine.length} acked in 120 s`)), 120_000);
          const pump = () => {
            while (sent < mine.length && sent - acked < WINDOW) {
              const k = mine[sent++];
              ws.send(JSON.stringify({ senderId: senders[i], to: recipients[k % recipients.length], text: `bench ${tag} ${k}`, clientMsgId: `${tag}-${k}` }));
            }
          };
          ws.on('message', (data) => {
            const f = JSON.parse(data.toString()) as { type?: string };
            if (f.type !== 'ack') return; // delivered / read frames
            acked++;
            if (acked === mine.length) {
              clearTimeout(timer);
              done();
            } else pump();
          });
          pump();
        }),
    ),
  );
  const ms = Date.now() - t0;
  for (const ws of sockets) ws.close();
  return ms;
}

async function main(): Promise<void> {
  const dbName = `chat_bench_push_${Date.now().toString(36)}`;
  const admin = await mysqlConnect({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = `${MYSQL_URL}/${dbName}`;
  const ds = new DataSource(dataSourceOptions(url, true));
  await ds.initialize();
  const children: ChildProcess[] = [];
  const arrivals: Arrival[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const b = JSON.parse(body) as { pushId: string; userId: number; count: number };
      arrivals.push({ pushId: b.pushId, userId: b.userId, count: b.count, at: Date.now(), verified: verifyWebhook(HOOK_SECRET, body, req.headers['x-chat-signature'] as string) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/push`;
  try {
    const mkUsers = async (n: number, prefix: string) => {
      const ids: number[] = [];
      for (let k = 0; k < n; k += 500) {
        const rows = [...Array(Math.min(500, n - k)).keys()].map((j) => `${prefix}${String(k + j).padStart(6, '0')}`);
        const r = (await ds.query(`INSERT INTO \`user\` (phone, create_time, update_time) VALUES ${rows.map(() => "(?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')").join(', ')}`, rows)) as { insertId: number };
        for (let j = 0; j < rows.length; j++) ids.push(Number(r.insertId) + j);
      }
      return ids;
    };
    const base = { DATABASE_URL: url };
    const push = { ...base, PUSH_PROVIDER: 'webhook', PUSH_WEBHOOK_URL: hookUrl, PUSH_WEBHOOK_SECRET: HOOK_SECRET, PUSH_DELAY_MS: String(DELAY_MS) };
    const rounds: Record<string, unknown>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of ['off', 'on'] as const) {
        const senders = await mkUsers(SENDERS, `1${round}${mode === 'on' ? 1 : 0}`);
        const recipients = await mkUsers(USERS, `2${round}${mode === 'on' ? 1 : 0}`);
        await ds.query(
          `INSERT INTO push_device (user_id, platform, device_token, created_at, updated_at) VALUES ${recipients.map(() => "(?, 'fcm', ?, 0, 0)").join(', ')}`,
          recipients.flatMap((r) => [r, `bench-${r}`]),
        );
        const gwPort = port();
        const gw = await startServer('apps/chat-gateway/src/main.ts', mode === 'on' ? push : base, gwPort);
        children.push(gw);
        const workers = mode === 'on' ? await Promise.all([...Array(WORKERS).keys()].map(() => startServer('apps/push-worker/src/main.ts', push, port()))) : [];
        children.push(...workers);
        const before = arrivals.length;
        const ms = await load(`ws://127.0.0.1:${gwPort}`, senders, recipients, MESSAGES, `r${round}${mode}`);
        const chat = { mode, round, messages: MESSAGES, ms, messagesPerSecond: Math.round((MESSAGES * 1000) / ms) };
        if (mode === 'on') {
          const ids = new Set(recipients);
          const deadline = Date.now() + 180_000;
          const open = async () => Number(((await ds.query(`SELECT COUNT(*) AS n FROM push_job WHERE available_at IS NOT NULL`)) as { n: number }[])[0].n);
          while ((await open()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
          const mine = arrivals.slice(before).filter((a) => ids.has(a.userId));
          const jobs = (await ds.query(`SELECT id, stored_at, due_at, state FROM push_job WHERE user_id IN (${recipients.join(',')})`)) as { id: number; stored_at: string; due_at: string; state: string }[];
          const byId = new Map(jobs.map((j) => [`push-${j.id}`, j]));
          const beyond = mine.map((a) => a.at - Number(byId.get(a.pushId)!.stored_at) - DELAY_MS).sort((x, y) => x - y);
          const firstDue = Math.min(...jobs.map((j) => Number(j.due_at)));
          const lastAt = Math.max(...mine.map((a) => a.at));
          rounds.push({
            ...chat,
            notifications: mine.length,
            distinctPushIds: new Set(mine.map((a) => a.pushId)).size,
            messagesNotified: mine.reduce((s, a) => s + a.count, 0),
            allSigned: mine.every((a) => a.verified),
            jobStates: jobs.reduce<Record<string, number>>((m, j) => ((m[j.state] = (m[j.state] ?? 0) + 1), m), {}),
            notificationsPerSecond: Math.round((mine.length * 1000) / Math.max(1, lastAt - firstDue)),
            beyondDelayMs: { p50: percentile(beyond, 50), p99: percentile(beyond, 99), max: beyond[beyond.length - 1] },
          });
        } else rounds.push(chat);
        for (const c of [gw, ...workers]) await stop(c);
      }
    }
    process.stdout.write('\nmode  round  chat msg/s  notifications  notif/s  beyond delay p50 / p99 (ms)\n');
    for (const r of rounds as { mode: string; round: number; messagesPerSecond: number; notifications?: number; notificationsPerSecond?: number; beyondDelayMs?: { p50: number; p99: number } }[]) {
      process.stdout.write(
        `${r.mode.padEnd(5)} ${String(r.round).padEnd(6)} ${String(r.messagesPerSecond).padEnd(11)} ${String(r.notifications ?? '-').padEnd(14)} ${String(r.notificationsPerSecond ?? '-').padEnd(8)} ${r.beyondDelayMs ? `${r.beyondDelayMs.p50} / ${r.beyondDelayMs.p99}` : '-'}\n`,
      );
    }
    const report = {
      bench: 'push',
      date: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length, platform: process.platform },
      loadAverageAtEnd: readFileSync('/proc/loadavg', 'utf8').trim(),
      settings: {
        users: USERS,
        senders: SENDERS,
        messages: MESSAGES,
        workers: WORKERS,
        window: WINDOW,
        delayMs: DELAY_MS,
        rounds: ROUNDS,
        // PUSH_* given to the bench reach the gateway and the workers (e.g. PUSH_BATCH_SIZE).
        environment: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PUSH_'))),
      },
      rounds,
      chatKnee: KNEE ? chatKnee() : 'not measured (BENCH_PUSH_KNEE=0)',
    };
    const outDir = join(ROOT, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    const stamp = report.date.replace(/[:.]/g, '-');
    writeFileSync(join(outDir, `push-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'push-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (typeof report.chatKnee === 'object') process.stdout.write(`\nchat knee: ${report.chatKnee.kneeOn ?? '-'} msg/s with push on, ${report.chatKnee.kneeOff ?? '-'} off\n`);
    process.stdout.write(`\nwritten bench/results/push-${stamp}.json (and push-latest.json)\n`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    hook.close();
    await ds.destroy();
    await admin.query(`DROP DATABASE \`${dbName}\``);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
