// `npm run bench:upload`: the upload API against a raw busboy-to-file server, measured in the
// same run on the same machine.
//
// - Files of 1 MB and 50 MB (JPEG-framed random bytes, so the upload API accepts them), sent
//   as multipart/form-data the way the Android app does, at concurrency 1 and 8.
// - Throughput: payload bytes / wall time of the scenario, seen by the client.
// - Peak RSS of the server process during the scenario, from /proc/<pid>/status VmHWM (reset
//   before each scenario through /proc/<pid>/clear_refs), reported as growth over its RSS just
//   before the scenario; sampled VmRSS is the fallback where the reset is not allowed.
// - Each server is warmed up first; each scenario then runs BENCH_ROUNDS (5) times, the targets'
//   order alternating between rounds; the table shows the median throughput and the largest
//   peak RSS growth over the rounds (the machine may be shared: medians resist a noisy neighbour).
// - Goals (from the issue): throughput >= 0.8x the baseline, peak RSS growth < 50 MB, for every
//   file size.
//
// Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
// Settings (environment): BENCH_ROUNDS=5 BENCH_REQUESTS_1MB_C1=60 BENCH_REQUESTS_1MB_C8=120
// BENCH_REQUESTS_50MB_C1=2 BENCH_REQUESTS_50MB_C8=8 BENCH_TARGETS=baseline,upload-api
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

const ROOT = resolve(__dirname, '..');
const APP_MAIN = join(ROOT, 'dist/apps/upload-api/main.js');
const BASELINE_SOURCE = join(ROOT, 'bench/upload-baseline-server.ts');
const MB = 1_000_000;
const MAX_FILE_SIZE = 64 * 1024 * 1024;
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const REQUEST_TIMEOUT_MS = 120_000;
const GOAL_RATIO = 0.8;
const GOAL_RSS_GROWTH_MB = 50;

function int(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

interface Scenario {
  label: string;
  fileBytes: number;
  concurrency: number;
  requests: number;
}

const SCENARIOS: Scenario[] = [
  { label: '1 MB x c1', fileBytes: 1 * MB, concurrency: 1, requests: int('BENCH_REQUESTS_1MB_C1', 60) },
  { label: '1 MB x c8', fileBytes: 1 * MB, concurrency: 8, requests: int('BENCH_REQUESTS_1MB_C8', 120) },
  { label: '50 MB x c1', fileBytes: 50 * MB, concurrency: 1, requests: int('BENCH_REQUESTS_50MB_C1', 2) },
  { label: '50 MB x c8', fileBytes: 50 * MB, concurrency: 8, requests: int('BENCH_REQUESTS_50MB_C8', 8) },
];
const TARGETS = (process.env.BENCH_TARGETS ?? 'baseline,upload-api').split(',');
const ROUNDS = int('BENCH_ROUNDS', 5);
const WARMUP_REQUESTS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- processes and /proc

interface Server {
  name: string;
  port: number;
  dir: string;
  child: ChildProcess;
  token?: string;
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

async function waitForHttp(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const up = await new Promise<boolean>((res) => {
      const req = request({ host: '127.0.0.1', port, path: '/health', method: 'GET', timeout: 1000 }, (r) => {
        r.resume();
        res(true);
      });
      req.on('error', () => res(false));
      req.end();
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error(`${name} did not start within 30 s`);
}

async function startServer(name: string, workDir: string): Promise<Server> {
  const port = await freePort();
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    UPLOAD_DIR: dir,
    NODE_ENV: 'production',
  };
  let child: ChildProcess;
  if (name === 'baseline') {
    // Plain node on transpiled JavaScript, like the app's build: under ts-node the baseline would
    // carry the TypeScript compiler in its heap and pay for it in every garbage collection.
    const js = join(workDir, 'upload-baseline-server.js');
    writeFileSync(js, transpileModule(readFileSync(BASELINE_SOURCE, 'utf8'), { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022, esModuleInterop: true } }).outputText);
    child = spawn(process.execPath, [js], {
      cwd: ROOT,
      env: { ...env, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } else {
    if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run nest build upload-api first`);
    child = spawn(process.execPath, [APP_MAIN], {
      cwd: ROOT,
      env: {
        ...env,
        JWT_SECRET,
        CHAT_DEV_MODE: 'false',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'text',
        UPLOAD_STORAGE: 'local',
        UPLOAD_MAX_FILE_SIZE: String(MAX_FILE_SIZE),
        UPLOAD_PUBLIC_BASE_URL: `http://127.0.0.1:${port}/images/`,
        // The token check looks its user up: a database of the bench's own (migrated at boot).
        DATABASE_URL: `sqlite:${join(workDir, 'chat.sqlite')}`,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  await waitForHttp(port, child, name);
  const server: Server = { name, port, dir, child };
  if (name !== 'baseline') {
    const db = await new DataSource({ type: 'better-sqlite3', database: join(workDir, 'chat.sqlite') }).initialize();
    await db.query("INSERT INTO `user` (name, phone, update_time, create_time) VALUES ('bench', '13000000000', '2024-01-01 00:00:00', '2024-01-01 00:00:00')");
    const userId = Number(((await db.query("SELECT id FROM `user` WHERE phone = '13000000000'")) as { id: number }[])[0].id);
    await db.destroy();
    server.token = await new SignJWT({ id: userId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET));
  }
  return server;
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
}

// ---------------------------------------------------------------- payloads and requests

/** A file of `bytes` bytes that is a JPEG to a byte sniffer: SOI + APP0, random bytes, EOI. */
function makeFile(dir: string, bytes: number): string {
  const path = join(dir, `payload-${bytes}.jpg`);
  const head = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const tail = Buffer.from([0xff, 0xd9]);
  const chunks: Buffer[] = [head];
  let left = bytes - head.length - tail.length;
  while (left > 0) {
    const n = Math.min(left, MB);
    chunks.push(randomBytes(n));
    left -= n;
  }
  chunks.push(tail);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

function uploadOnce(server: Server, agent: Agent, file: string, fileBytes: number): Promise<void> {
  const boundary = `okhttp-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="upload_file"; filename="20190527213156.png"\r\n` +
      `Content-Type: image/png\r\nContent-Length: ${fileBytes}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    'Content-Length': String(head.length + fileBytes + tail.length),
  };
  if (server.token) headers.token = server.token;
  return new Promise((res, rej) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method: 'POST', path: '/user/upload.do', headers, agent, timeout: REQUEST_TIMEOUT_MS },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          let status: unknown;
          try {
            status = (JSON.parse(body) as { status?: unknown }).status;
          } catch {
            status = undefined;
          }
          if (r.statusCode === 200 && status === 0) res();
          else rej(new Error(`${server.name}: HTTP ${r.statusCode} ${body.slice(0, 200)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${server.name}: request timed out`)));
    req.on('error', rej);
    req.write(head);
    const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
    stream.on('error', rej);
    stream.on('end', () => req.end(tail));
    stream.pipe(req, { end: false });
  });
}

interface Run {
  target: string;
  scenario: string;
  round: number;
  fileBytes: number;
  concurrency: number;
  requests: number;
  failures: number;
  seconds: number;
  mbPerSecond: number;
  rssBeforeMb: number;
  peakRssMb: number;
  peakRssGrowthMb: number;
  peakSource: 'VmHWM' | 'sampled';
}

/** One target in one scenario over all rounds. */
interface Result {
  target: string;
  scenario: string;
  requests: number;
  failures: number;
  mbPerSecondMedian: number;
  mbPerSecondRuns: number[];
  rssBeforeMb: number;
  peakRssMbMax: number;
  peakRssGrowthMbMax: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function runScenario(server: Server, scenario: Scenario, file: string, pass: number): Promise<Run> {
  const pid = server.child.pid!;
  const agent = new Agent({ keepAlive: true, maxSockets: scenario.concurrency });
  // Let the process settle, then take its resting RSS and restart its high-water mark.
  await sleep(500);
  const rssBefore = procStatus(pid, 'VmRSS');
  const canReset = resetPeak(pid);
  let sampledPeak = rssBefore;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, procStatus(pid, 'VmRSS'));
  }, 20);
  let next = 0;
  let failures = 0;
  let firstError: Error | undefined;
  const started = performance.now();
  const worker = async () => {
    while (next < scenario.requests) {
      next++;
      try {
        await uploadOnce(server, agent, file, scenario.fileBytes);
      } catch (err) {
        failures++;
        firstError ??= err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampledPeak = Math.max(sampledPeak, procStatus(pid, 'VmRSS'));
  const peak = canReset ? Math.max(procStatus(pid, 'VmHWM'), sampledPeak) : sampledPeak;
  agent.destroy();
  if (firstError) process.stderr.write(`  ${failures} failed, first: ${firstError.message}\n`);
  // Keep the disk from filling up between scenarios.
  for (const f of readdirSync(server.dir)) rmSync(join(server.dir, f), { force: true });
  const ok = scenario.requests - failures;
  return {
    target: server.name,
    scenario: scenario.label,
    round: pass,
    fileBytes: scenario.fileBytes,
    concurrency: scenario.concurrency,
    requests: scenario.requests,
    failures,
    seconds: round(seconds, 2),
    mbPerSecond: round((ok * scenario.fileBytes) / MB / seconds, 1),
    rssBeforeMb: round(rssBefore / 2 ** 20, 1),
    peakRssMb: round(peak / 2 ** 20, 1),
    peakRssGrowthMb: round((peak - rssBefore) / 2 ** 20, 1),
    peakSource: canReset ? 'VmHWM' : 'sampled',
  };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'upload-bench-'));
  const servers: Server[] = [];
  const results: Result[] = [];
  const allRuns: Run[] = [];
  try {
    const files = new Map<number, string>();
    for (const s of SCENARIOS) if (!files.has(s.fileBytes)) files.set(s.fileBytes, makeFile(work, s.fileBytes));
    for (const name of TARGETS) servers.push(await startServer(name, join(work, 'stores')));
    for (const server of servers) {
      await runScenario(server, { label: 'warm-up', fileBytes: MB, concurrency: 2, requests: WARMUP_REQUESTS }, files.get(MB)!, 0);
    }
    for (const scenario of SCENARIOS) {
      const runs: Run[] = [];
      for (let pass = 1; pass <= ROUNDS; pass++) {
        // Rotate which target goes first, so none always inherits another's disk writeback.
        const order = servers.map((_, i) => servers[(i + pass) % servers.length]);
        for (const server of order) {
          const r = await runScenario(server, scenario, files.get(scenario.fileBytes)!, pass);
          runs.push(r);
          allRuns.push(r);
          process.stdout.write(
            `${scenario.label.padEnd(11)} round ${pass} ${server.name.padEnd(10)} ${String(r.mbPerSecond).padStart(7)} MB/s, peak RSS +${r.peakRssGrowthMb} MB${r.failures ? `, ${r.failures} FAILED` : ''}\n`,
          );
        }
      }
      for (const server of servers) {
        const mine = runs.filter((r) => r.target === server.name);
        results.push({
          target: server.name,
          scenario: scenario.label,
          requests: mine.reduce((a, r) => a + r.requests, 0),
          failures: mine.reduce((a, r) => a + r.failures, 0),
          mbPerSecondMedian: round(median(mine.map((r) => r.mbPerSecond)), 1),
          mbPerSecondRuns: mine.map((r) => r.mbPerSecond),
          rssBeforeMb: Math.min(...mine.map((r) => r.rssBeforeMb)),
          peakRssMbMax: Math.max(...mine.map((r) => r.peakRssMb)),
          peakRssGrowthMbMax: Math.max(...mine.map((r) => r.peakRssGrowthMb)),
        });
      }
    }
  } finally {
    for (const s of servers) await stopServer(s);
    rmSync(work, { recursive: true, force: true });
  }

  const verdicts = SCENARIOS.map((s) => {
    const base = results.find((r) => r.scenario === s.label && r.target === 'baseline');
    const app = results.find((r) => r.scenario === s.label && r.target === 'upload-api');
    const ratio = base && app ? round(app.mbPerSecondMedian / base.mbPerSecondMedian, 2) : undefined;
    const throughputOk = ratio === undefined ? undefined : ratio >= GOAL_RATIO;
    const memoryOk = app ? app.peakRssGrowthMbMax < GOAL_RSS_GROWTH_MB && app.failures === 0 : undefined;
    return { scenario: s.label, ratio, throughputOk, memoryOk };
  });

  const base = (scenario: string) => results.find((x) => x.scenario === scenario && x.target === 'baseline');
  const rows = [['scenario', 'target', 'requests', 'failed', 'MB/s (median)', 'vs baseline', 'RSS before MB', 'peak RSS MB', 'peak growth MB']];
  for (const r of results) {
    rows.push([
      r.scenario,
      r.target,
      String(r.requests),
      String(r.failures),
      r.mbPerSecondMedian.toFixed(1),
      r.target !== 'baseline' && base(r.scenario) ? `${(r.mbPerSecondMedian / base(r.scenario)!.mbPerSecondMedian).toFixed(2)}x` : '',
      r.rssBeforeMb.toFixed(1),
      r.peakRssMbMax.toFixed(1),
      r.peakRssGrowthMbMax.toFixed(1),
    ]);
  }
  process.stdout.write(`\n${table(rows)}\n\n`);
  for (const v of verdicts) {
    const parts = [
      v.throughputOk === undefined ? 'throughput: n/a' : `throughput ${v.ratio}x (goal >= ${GOAL_RATIO}x): ${v.throughputOk ? 'met' : 'MISSED'}`,
      v.memoryOk === undefined ? 'memory: n/a' : `peak RSS growth (goal < ${GOAL_RSS_GROWTH_MB} MB): ${v.memoryOk ? 'met' : 'MISSED'}`,
    ];
    process.stdout.write(`${v.scenario.padEnd(11)} ${parts.join('; ')}\n`);
  }

  const report = {
    bench: 'upload',
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length, platform: process.platform },
    goals: { throughputRatioAtLeast: GOAL_RATIO, peakRssGrowthMbBelow: GOAL_RSS_GROWTH_MB },
    rounds: ROUNDS,
    warmupRequests: WARMUP_REQUESTS,
    loadAverageAtEnd: readFileSync('/proc/loadavg', 'utf8').trim(),
    scenarios: SCENARIOS,
    results,
    verdicts,
    runs: allRuns,
  };
  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  writeFileSync(join(outDir, `upload-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'upload-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nwritten bench/results/upload-${stamp}.json (and upload-latest.json)\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
