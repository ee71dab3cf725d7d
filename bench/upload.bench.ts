// `npm run bench:upload`: the upload API against a raw busboy-to-file server, measured in the
// same run on the same machine, after the strip-vs-re-encode comparison (upload-metadata.bench.ts).
//
// - Phone photos of about 1 MB (1.9 MP) and 10 MB (12 MP) with GPS, camera and time metadata and
//   a portrait orientation tag (upload-photos.ts), sent as multipart/form-data the way the
//   Android app does, at concurrency 1 and 8. The upload API strips the metadata, stores the
//   photo and answers; its 320 px thumbnail is made after the answer (JPEG shrink-on-load), in
//   the background ('upload-api') or on its first request only ('upload-api-on-request',
//   UPLOAD_THUMBNAIL_BACKLOG=0); the baseline only writes the bytes.
// - After each round of an upload API: the last answer's thumbUrl is fetched (it must be a JPEG),
//   the server is waited for until its image queue is idle (its /metrics), and one stored photo
//   and one stored thumbnail are read by exiftool, which must find no metadata but the
//   orientation (a round with metadata left counts as failed). The drain's time and CPU are
//   reported apart from the upload's.
// - Throughput: payload bytes / wall time of the scenario, seen by the client.
// - CPU: the server process's user + system time over the scenario (/proc/<pid>/stat), per
//   megapixel uploaded: what the image work costs.
// - Peak RSS of the server process during the scenario, from /proc/<pid>/status VmHWM (reset
//   before each scenario through /proc/<pid>/clear_refs), reported as growth over its RSS just
//   before the scenario; sampled VmRSS is the fallback where the reset is not allowed.
// - Each server is warmed up first; each scenario then runs BENCH_ROUNDS (7) times, the targets'
//   order alternating between rounds; the table shows the median throughput and the largest
//   peak RSS growth over the rounds (the machine may be shared: medians resist a noisy neighbour).
// - Goals (from the issue): at least 0.8x the baseline's throughput in every scenario, metadata
//   stripped (exiftool), peak RSS growth < 100 MB for eight concurrent 10 MB photos.
//
// Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
// Settings (environment): BENCH_ROUNDS=7 BENCH_REQUESTS_1MB_C1=20 BENCH_REQUESTS_1MB_C8=40
// BENCH_REQUESTS_10MB_C1=4 BENCH_REQUESTS_10MB_C8=8 BENCH_TARGETS=baseline,upload-api,upload-api-on-request
// BENCH_STRIP_VS_REENCODE=1 (0 skips the comparison)
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';
import { freePort } from '../test/support/free-port';
import { sleep } from '../test/support/wait';
import { int } from './support/args';
import { startProcess, stopProcess } from './support/processes';
import { median, round } from './support/stats';
import { benchTokens } from './support/tokens';
import { runMetadataBench } from './upload-metadata.bench';
import { makePhoto, PHOTOS } from './upload-photos';
import { exifTags, metadataTags } from '../libs/storage/test/exiftool';

const ROOT = resolve(__dirname, '..');
const APP_MAIN = join(ROOT, 'dist/apps/upload-api/main.js');
const BASELINE_SOURCE = join(ROOT, 'bench/upload-baseline-server.ts');
const MB = 1_000_000;
const MAX_FILE_SIZE = 64 * 1024 * 1024;
const JWT_SECRET = `bench-${randomBytes(16).toString('hex')}`;
const REQUEST_TIMEOUT_MS = 120_000;
const GOAL_RSS_GROWTH_MB = 100;
const GOAL_SCENARIO = '10 MB x c8';
// Throughput of an upload API against the raw busboy baseline, medians of the same rounds.
const GOAL_RATIO = 0.8;

interface Scenario {
  label: string;
  photo: string;
  fileBytes: number;
  megapixels: number;
  concurrency: number;
  requests: number;
}

const [SMALL, LARGE] = PHOTOS;
const scenario = (photo: typeof SMALL, concurrency: number, requests: number): Scenario => ({
  label: `${photo.label} x c${concurrency}`,
  photo: photo.label,
  fileBytes: 0, // known once the photo is made
  megapixels: (photo.width * photo.height) / 1e6,
  concurrency,
  requests,
});
const SCENARIOS: Scenario[] = [
  scenario(SMALL, 1, int('BENCH_REQUESTS_1MB_C1', 20)),
  scenario(SMALL, 8, int('BENCH_REQUESTS_1MB_C8', 40)),
  scenario(LARGE, 1, int('BENCH_REQUESTS_10MB_C1', 4)),
  scenario(LARGE, 8, int('BENCH_REQUESTS_10MB_C8', 8)),
];
const TARGETS = (process.env.BENCH_TARGETS ?? 'baseline,upload-api,upload-api-on-request').split(',');
const OPS_TOKEN = `bench-ops-${randomBytes(16).toString('hex')}`;
const ROUNDS = int('BENCH_ROUNDS', 7);
const WARMUP_REQUESTS = 20;


// ---------------------------------------------------------------- processes and /proc

interface Server {
  name: string;
  port: number;
  dir: string;
  child: ChildProcess;
  token?: string;
}

/** User + system CPU time of a process so far, in milliseconds. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, counted in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
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
  let command: { args: string[]; env: NodeJS.ProcessEnv };
  if (name === 'baseline') {
    // Plain node on transpiled JavaScript, like the app's build: under ts-node the baseline would
    // carry the TypeScript compiler in its heap and pay for it in every garbage collection.
    const js = join(workDir, 'upload-baseline-server.js');
    writeFileSync(js, transpileModule(readFileSync(BASELINE_SOURCE, 'utf8'), { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022, esModuleInterop: true } }).outputText);
    command = { args: [js], env: { ...env, NODE_PATH: join(ROOT, 'node_modules') } };
  } else {
    if (!existsSync(APP_MAIN)) throw new Error(`${APP_MAIN} is missing: run nest build upload-api first`);
    command = {
      args: [APP_MAIN],
      env: {
        ...env,
        JWT_SECRET,
        CHAT_DEV_MODE: 'false',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'text',
        UPLOAD_STORAGE: 'local',
        UPLOAD_MAX_FILE_SIZE: String(MAX_FILE_SIZE),
        UPLOAD_PUBLIC_BASE_URL: `http://127.0.0.1:${port}/images/`,
        UPLOAD_THUMBNAIL_BACKLOG: name === 'upload-api-on-request' ? '0' : '256',
        OPS_TOKEN,
        // The token check looks its user up: a database of the bench's own (migrated at boot).
        DATABASE_URL: `sqlite:${join(workDir, `chat-${name}.sqlite`)}`,
      },
    };
  }
  const { child } = await startProcess({ name, ...command, cwd: ROOT, ready: { url: `http://127.0.0.1:${port}/health` } });
  const server: Server = { name, port, dir, child };
  if (name !== 'baseline') {
    const db = await new DataSource({ type: 'better-sqlite3', database: join(workDir, `chat-${name}.sqlite`) }).initialize();
    await db.query("INSERT INTO `user` (name, phone, update_time, create_time) VALUES ('bench', '13000000000', '2024-01-01 00:00:00', '2024-01-01 00:00:00')");
    const userId = Number(((await db.query("SELECT id FROM `user` WHERE phone = '13000000000'")) as { id: number }[])[0].id);
    await db.destroy();
    server.token = await benchTokens(JWT_SECRET, 3600)(userId);
  }
  return server;
}

async function stopServer(server: Server): Promise<void> {
  await stopProcess(server, 5000);
}

// ---------------------------------------------------------------- payloads and requests

/** Resolves with the answer's thumbUrl (undefined for the baseline). */
function uploadOnce(server: Server, agent: Agent, file: string, fileBytes: number): Promise<string | undefined> {
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
          let thumbUrl: string | undefined;
          try {
            const answer = JSON.parse(body) as { status?: unknown; data?: { thumbUrl?: string } };
            status = answer.status;
            thumbUrl = answer.data?.thumbUrl;
          } catch {
            status = undefined;
          }
          if (r.statusCode === 200 && status === 0) res(thumbUrl);
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
  serverCpuMsPerMegapixel: number;
  /** After the last answer, until the image queue was idle (upload APIs). */
  drainSeconds?: number;
  /** CPU per megapixel uploaded, the drain included. */
  serverCpuMsPerMegapixelWithDrain?: number;
  /** Whether exiftool found no metadata but the orientation in a stored photo and thumbnail. */
  metadataStripped?: boolean;
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
  serverCpuMsPerMegapixelMedian: number;
  drainSecondsMedian?: number;
  serverCpuMsPerMegapixelWithDrainMedian?: number;
  metadataStrippedEveryRound?: boolean;
}


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
  let lastThumbUrl: string | undefined;
  const cpuBefore = procCpuMs(pid);
  const started = performance.now();
  const worker = async () => {
    while (next < scenario.requests) {
      next++;
      try {
        lastThumbUrl = (await uploadOnce(server, agent, file, scenario.fileBytes)) ?? lastThumbUrl;
      } catch (err) {
        failures++;
        firstError ??= err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = procCpuMs(pid) - cpuBefore;
  let drainSeconds: number | undefined;
  let cpuWithDrainMs: number | undefined;
  let metadataStripped: boolean | undefined;
  if (server.name !== 'baseline') {
    // The thumbnail works as soon as the answer arrived, then the background work is let finish.
    try {
      if (!lastThumbUrl) throw new Error('no upload answered');
      const thumb = await fetch(lastThumbUrl);
      const bytes = Buffer.from(await thumb.arrayBuffer());
      if (thumb.status !== 200 || thumb.headers.get('content-type') !== 'image/jpeg' || bytes.length === 0) {
        throw new Error(`thumbUrl answered HTTP ${thumb.status} ${thumb.headers.get('content-type')} (${bytes.length} bytes)`);
      }
      await waitIdle(server);
    } catch (err) {
      failures++;
      firstError ??= err as Error;
    }
    drainSeconds = round((performance.now() - started) / 1000 - seconds, 2);
    cpuWithDrainMs = procCpuMs(pid) - cpuBefore;
    metadataStripped = await storedWithoutMetadata(server.dir);
    if (!metadataStripped) {
      failures++;
      firstError ??= new Error('exiftool found metadata in what was stored');
    }
  }
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
    serverCpuMsPerMegapixel: round(cpuMs / Math.max(1, ok) / scenario.megapixels, 1),
    drainSeconds,
    serverCpuMsPerMegapixelWithDrain: cpuWithDrainMs === undefined ? undefined : round(cpuWithDrainMs / Math.max(1, ok) / scenario.megapixels, 1),
    metadataStripped,
  };
}

/** Until the server's image queue has nothing running or waiting, twice in a row (bounded). */
async function waitIdle(server: Server): Promise<void> {
  const deadline = Date.now() + 120_000;
  let idle = 0;
  while (idle < 2) {
    if (Date.now() > deadline) throw new Error(`${server.name}: the image queue did not drain within 120 s`);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).text();
    const value = (state: string) => Number(new RegExp(`^upload_image_queue\\{state="${state}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    const busy = value('running') + value('waiting');
    if (Number.isNaN(busy)) throw new Error(`${server.name}: /metrics shows no upload_image_queue`);
    idle = busy === 0 ? idle + 1 : 0;
    await sleep(25);
  }
}

/** exiftool on one stored photo and one stored thumbnail: nothing but the orientation. */
async function storedWithoutMetadata(dir: string): Promise<boolean> {
  const names = readdirSync(dir).filter((f) => !f.startsWith('.'));
  const photo = names.find((f) => /^[0-9a-f-]{36}\.jpg$/.test(f));
  const thumb = names.find((f) => /_thumb\.jpg$/.test(f));
  if (!photo || !thumb) return false;
  for (const name of [photo, thumb]) {
    const left = metadataTags(await exifTags(readFileSync(join(dir, name)), 'jpg'));
    if (Object.keys(left).length > 0) {
      process.stderr.write(`  exiftool found in ${name}: ${JSON.stringify(left).slice(0, 300)}\n`);
      return false;
    }
  }
  return true;
}


function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim();
  const metadata = process.env.BENCH_STRIP_VS_REENCODE === '0' ? undefined : await runMetadataBench();
  const work = mkdtempSync(join(tmpdir(), 'upload-bench-'));
  const servers: Server[] = [];
  const results: Result[] = [];
  const allRuns: Run[] = [];
  try {
    const files = new Map<string, string>();
    for (const spec of PHOTOS) {
      const photo = await makePhoto(spec);
      const path = join(work, `photo-${spec.width}x${spec.height}.jpg`);
      writeFileSync(path, photo);
      files.set(spec.label, path);
      for (const s of SCENARIOS) if (s.photo === spec.label) s.fileBytes = photo.length;
    }
    for (const name of TARGETS) servers.push(await startServer(name, join(work, 'stores')));
    for (const server of servers) {
      const warmUp = { ...SCENARIOS[0], label: 'warm-up', concurrency: 2, requests: WARMUP_REQUESTS };
      await runScenario(server, warmUp, files.get(SMALL.label)!, 0);
    }
    for (const scenario of SCENARIOS) {
      const runs: Run[] = [];
      for (let pass = 1; pass <= ROUNDS; pass++) {
        // Rotate which target goes first, so none always inherits another's disk writeback.
        const order = servers.map((_, i) => servers[(i + pass) % servers.length]);
        for (const server of order) {
          const r = await runScenario(server, scenario, files.get(scenario.photo)!, pass);
          runs.push(r);
          allRuns.push(r);
          process.stdout.write(
            `${scenario.label.padEnd(11)} round ${pass} ${server.name.padEnd(22)} ${String(r.mbPerSecond).padStart(7)} MB/s, peak RSS +${r.peakRssGrowthMb} MB, ${r.serverCpuMsPerMegapixel} CPU ms/MP` +
              `${r.drainSeconds === undefined ? '' : `, drain ${r.drainSeconds} s (${r.serverCpuMsPerMegapixelWithDrain} CPU ms/MP with it), exiftool ${r.metadataStripped ? 'clean' : 'FOUND METADATA'}`}` +
              `, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}${r.failures ? `, ${r.failures} FAILED` : ''}\n`,
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
          serverCpuMsPerMegapixelMedian: round(median(mine.map((r) => r.serverCpuMsPerMegapixel)), 1),
          ...(server.name === 'baseline'
            ? {}
            : {
                drainSecondsMedian: round(median(mine.map((r) => r.drainSeconds ?? 0)), 2),
                serverCpuMsPerMegapixelWithDrainMedian: round(median(mine.map((r) => r.serverCpuMsPerMegapixelWithDrain ?? 0)), 1),
                metadataStrippedEveryRound: mine.every((r) => r.metadataStripped === true),
              }),
        });
      }
    }
  } finally {
    for (const s of servers) await stopServer(s);
    rmSync(work, { recursive: true, force: true });
  }

  const base = (scenario: string) => results.find((x) => x.scenario === scenario && x.target === 'baseline');
  // Each upload API target against the baseline of the same rounds.
  const verdicts = SCENARIOS.flatMap((s) =>
    results
      .filter((r) => r.scenario === s.label && r.target !== 'baseline')
      .map((app) => {
        const b = base(s.label);
        const ratio = b ? round(app.mbPerSecondMedian / b.mbPerSecondMedian, 2) : undefined;
        const memoryOk = app.peakRssGrowthMbMax < GOAL_RSS_GROWTH_MB && app.failures === 0;
        return {
          scenario: s.label,
          target: app.target,
          ratio,
          throughputOk: ratio === undefined ? undefined : ratio >= GOAL_RATIO,
          memoryOk,
          metadataStripped: app.metadataStrippedEveryRound === true,
          memoryGoal: s.label === GOAL_SCENARIO,
        };
      }),
  );

  const rows = [
    ['scenario', 'target', 'file MB', 'requests', 'failed', 'MB/s (median)', 'vs baseline', 'CPU ms/MP', 'drain s', 'CPU ms/MP w/ drain', 'RSS before MB', 'peak RSS MB', 'peak growth MB'],
  ];
  for (const r of results) {
    const s = SCENARIOS.find((x) => x.label === r.scenario)!;
    rows.push([
      r.scenario,
      r.target,
      (s.fileBytes / MB).toFixed(2),
      String(r.requests),
      String(r.failures),
      r.mbPerSecondMedian.toFixed(1),
      r.target !== 'baseline' && base(r.scenario) ? `${(r.mbPerSecondMedian / base(r.scenario)!.mbPerSecondMedian).toFixed(2)}x` : '',
      r.serverCpuMsPerMegapixelMedian.toFixed(1),
      r.drainSecondsMedian === undefined ? '' : r.drainSecondsMedian.toFixed(2),
      r.serverCpuMsPerMegapixelWithDrainMedian === undefined ? '' : r.serverCpuMsPerMegapixelWithDrainMedian.toFixed(1),
      r.rssBeforeMb.toFixed(1),
      r.peakRssMbMax.toFixed(1),
      r.peakRssGrowthMbMax.toFixed(1),
    ]);
  }
  process.stdout.write(`\n${table(rows)}\n\n`);
  for (const v of verdicts) {
    const throughput = `throughput ${v.ratio ?? 'n/a'}x the baseline (goal >= ${GOAL_RATIO}x: ${v.throughputOk === undefined ? 'n/a' : v.throughputOk ? 'met' : 'MISSED'})`;
    const memory = `peak RSS growth ${v.memoryOk ? '<' : '>='} ${GOAL_RSS_GROWTH_MB} MB${v.memoryGoal ? ` (goal): ${v.memoryOk ? 'met' : 'MISSED'}` : ''}`;
    const stripped = `metadata ${v.metadataStripped ? 'stripped in every round (exiftool)' : 'FOUND by exiftool'}`;
    process.stdout.write(`${v.scenario.padEnd(11)} ${v.target.padEnd(22)} ${throughput}; ${memory}; ${stripped}\n`);
  }
  process.stdout.write(`load average at start ${loadAtStart}, at end ${readFileSync('/proc/loadavg', 'utf8').trim()}\n`);

  const report = {
    bench: 'upload',
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length, platform: process.platform },
    goals: { peakRssGrowthMbBelow: GOAL_RSS_GROWTH_MB, scenario: GOAL_SCENARIO, throughputRatioAtLeast: GOAL_RATIO, metadata: 'none but the orientation (exiftool)' },
    stripVsReencode: metadata,
    rounds: ROUNDS,
    warmupRequests: WARMUP_REQUESTS,
    loadAverageAtStart: loadAtStart,
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
