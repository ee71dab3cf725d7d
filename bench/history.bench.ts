// `npm run bench:history`: the history API over HTTP on a conversation of a million messages,
// beside the legacy server's SQL (OR over both directions, ORDER BY create_time, COUNT(*),
// LIMIT offset,size) served by the same process through the same guard and envelope.
//
// - Seeds a fresh MariaDB database (dropped afterwards) through the real migrations: one
//   conversation of BENCH_MESSAGES messages plus background conversations, some of them with the
//   same user, with multi-row inserts; conversation.message_count and seq are filled as the
//   gateway fills them, and ids of the conversations interleave as they would in production.
// - Cross-checks that both implementations answer the same pages byte for byte.
// - The conversation list (get_Conversation_List.do) of a user with BENCH_LIST_CONVERSATIONS
//   conversations of a few messages each, interleaved in time, beside the history page; the
//   conversation state is back-filled by the real migration over the whole seeded database (its
//   time is reported).
// - Measures sequential requests (one in flight) so the numbers are latencies, not throughput:
//   p50/p99 per scenario, each bounded in samples and in time.
//
// Everything talks to 127.0.0.1 only. Settings (environment): BENCH_MESSAGES=1000000
// BENCH_BACKGROUND=200000 BENCH_LIST_CONVERSATIONS=1000 BENCH_SAMPLES=300 BENCH_BASELINE_SAMPLES=15 BENCH_SCENARIO_MS=20000
// BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306
import 'reflect-metadata';
import { Controller, Module, Post, Body, Query, HttpCode, UseGuards, INestApplication } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection, createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { CurrentUserId, TokenGuard, TokenService } from '@app/auth';
import { createApp, DomainError, ErrorCode, LegacyMessages, ok } from '@app/common';
import { HistoryConfig } from '@app/config';
import { CONVERSATION_QUERIES, dataSourceOptions, HISTORY_QUERIES } from '@app/database';
import { MIGRATIONS } from '@app/entities';
import { toPageInfo } from '@app/pagination';
import { HistoryApiModule } from '../apps/history-api/src/history-api.module';
import { parseHistoryRequest } from '../apps/history-api/src/history/dto/history-request.dto';
import { int } from './support/args';
import { mean, percentile, round } from './support/stats';

const ROOT = resolve(__dirname, '..');
const MYSQL_URL = (process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const MESSAGES = int('BENCH_MESSAGES', 1_000_000);
const BACKGROUND = int('BENCH_BACKGROUND', 200_000);
const LIST_CONVERSATIONS = int('BENCH_LIST_CONVERSATIONS', 1000);
/** Messages in each conversation of the list user (every third from the list user). */
const LIST_MESSAGES_EACH = 4;
const LIST_PAGE = 20;
const SAMPLES = int('BENCH_SAMPLES', 300);
const BASELINE_SAMPLES = int('BENCH_BASELINE_SAMPLES', 15);
const SCENARIO_MS = int('BENCH_SCENARIO_MS', 20_000);
const PAGE_SIZE = 10;
const ROWS_PER_INSERT = 5000;
const JWT_SECRET = `bench-history-${Date.now()}-secret-0123456789`;
const DB_NAME = `history_bench_${Date.now().toString(36)}_${process.pid}`;
const A = 1;
const B = 2;
const BACKGROUND_USERS = 200;
/** Background conversations of user A with others, so that the legacy OR has rows to skip. */
const A_SIDE_CONVERSATIONS = 10;
/** The user of the conversation-list scenarios, and the first of its friends. */
const L = 3 + BACKGROUND_USERS;
const FIRST_FRIEND_OF_L = L + 1;

const BASE_TIME = Date.UTC(2019, 0, 1);
/** Wall-clock string `seconds` after 2019-01-01 00:00:00 (the column holds zone-less wall clock). */
const wallClock = (seconds: number) => new Date(BASE_TIME + seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');

// ---------------------------------------------------------------- the legacy SQL, served over HTTP

/**
 * What the old server ran for one page: PageHelper's COUNT over the unindexed OR, then the same
 * OR ordered by create_time with LIMIT offset,size. Same guard, parameters and envelope as ours.
 */
@Controller('bench')
@UseGuards(TokenGuard)
class LegacyBaselineController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: HistoryConfig,
  ) {}

  @Post('legacy_history')
  @HttpCode(200)
  async page(@CurrentUserId() userId: number, @Query() query: unknown, @Body() body: unknown) {
    const request = parseHistoryRequest([query, body], this.config);
    if (request.kind !== 'page' || request.friendId === undefined) throw new DomainError(ErrorCode.NoRecords, LegacyMessages.noRecords);
    const { friendId, pageNum, pageSize } = request;
    const where = '(m.sender = ? AND m.`to` = ?) OR (m.sender = ? AND m.`to` = ?)';
    const params = [userId, friendId, friendId, userId];
    const [{ total }] = await this.db.query(`SELECT count(0) AS total FROM \`message\` m WHERE ${where}`, params);
    const rows: { id: number; sender: number; text: string; create_time: string; name: string }[] = await this.db.query(
      `SELECT m.id, m.sender, m.text, m.create_time, u.name FROM \`message\` m LEFT JOIN \`user\` u ON u.id = m.sender
       WHERE ${where} ORDER BY m.create_time, m.id LIMIT ?, ?`,
      [...params, (pageNum - 1) * pageSize, pageSize],
    );
    if (!rows.length) throw new DomainError(ErrorCode.NoRecords, LegacyMessages.noRecords);
    const list = rows.map((r) => ({ sender: r.name, text: r.text, time: r.create_time, id: Number(r.id), senderId: Number(r.sender) }));
    return ok(toPageInfo(list, { pageNum, pageSize, total: Number(total) }));
  }
}

@Module({ controllers: [LegacyBaselineController] })
class LegacyBaselineModule {}

@Module({ imports: [HistoryApiModule, LegacyBaselineModule] })
class BenchModule {}

// ---------------------------------------------------------------- seeding

async function insertRows(conn: Connection, table: string, columns: string, rows: string[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await conn.query(`INSERT INTO ${table} (${columns}) VALUES ${rows.slice(i, i + ROWS_PER_INSERT).join(',')}`);
  }
}

interface SeedResult {
  seconds: number;
  mainConversationId: number;
  messageRows: number;
}

async function seed(conn: Connection): Promise<SeedResult> {
  const started = performance.now();
  const users: string[] = [];
  for (let id = 1; id <= 2 + BACKGROUND_USERS; id++) {
    const phone = `139${String(id).padStart(8, '0')}`;
    // User B has a name of its own; the others carry the legacy default.
    users.push(`(${id}, '${id === B ? '小明' : `手机用户${phone}`}', '${phone}', '2019-01-01 00:00:00', '2019-01-01 00:00:00')`);
  }
  for (let id = L; id < FIRST_FRIEND_OF_L + LIST_CONVERSATIONS; id++) {
    const phone = `138${String(id).padStart(8, '0')}`;
    users.push(`(${id}, '${id % 2 ? `用户${id} 🙂` : `手机用户${phone}`}', '${phone}', '2019-01-01 00:00:00', '2019-01-01 00:00:00')`);
  }
  await insertRows(conn, '`user`', 'id, name, phone, update_time, create_time', users);

  // Conversations: 1 = A<->B, then A with A_SIDE_CONVERSATIONS others, then pairs of background users.
  const pairs: [number, number][] = [[A, B]];
  for (let k = 0; k < A_SIDE_CONVERSATIONS; k++) pairs.push([A, 3 + k]);
  for (let u = 3 + A_SIDE_CONVERSATIONS; u + 1 <= 2 + BACKGROUND_USERS; u += 2) pairs.push([u, u + 1]);
  const backgroundPairs = pairs.length - 1;
  const perBackground = Math.floor(BACKGROUND / backgroundPairs);
  const counts = pairs.map((_, i) => (i === 0 ? MESSAGES : perBackground));
  // The list user's conversations come last; their messages are written after the others'.
  const firstListConversation = pairs.length;
  for (let k = 0; k < LIST_CONVERSATIONS; k++) {
    pairs.push([L, FIRST_FRIEND_OF_L + k]);
    counts.push(LIST_MESSAGES_EACH);
  }
  await insertRows(
    conn,
    'conversation',
    'id, user_lo, user_hi, message_count',
    pairs.map(([lo, hi], i) => `(${i + 1}, ${lo}, ${hi}, ${counts[i]})`),
  );

  // Messages in time order across all conversations, as a live server would store them: for
  // every main-conversation message, background ones in proportion.
  const seq = counts.map(() => 0);
  const text = "'bench message text of a typical length, about forty chars'";
  let clock = 0;
  let pending: string[] = [];
  let background = 0;
  let rows = 0;
  const flush = async () => {
    if (!pending.length) return;
    await conn.query(
      `INSERT INTO \`message\` (sender, \`to\`, text, update_time, create_time, conversation_id, seq, pending) VALUES ${pending.join(',')}`,
    );
    rows += pending.length;
    pending = [];
  };
  const add = async (conv: number) => {
    const [lo, hi] = pairs[conv];
    seq[conv] += 1;
    const s = seq[conv];
    const [sender, to] = s % 3 === 0 ? [hi, lo] : [lo, hi];
    clock += 1;
    const t = `'${wallClock(clock)}'`;
    pending.push(`(${sender},${to},${text},${t},${t},${conv + 1},${s},0)`);
    if (pending.length >= ROWS_PER_INSERT) await flush();
  };
  await conn.query('SET SESSION unique_checks = 0');
  await conn.query('START TRANSACTION');
  const ratio = (perBackground * backgroundPairs) / MESSAGES;
  let next = 1;
  for (let i = 0; i < MESSAGES; i++) {
    await add(0);
    // Interleave background traffic round-robin over the other conversations.
    for (let due = Math.floor((i + 1) * ratio) - background; due > 0; due--) {
      while (seq[next] >= perBackground) next = (next % backgroundPairs) + 1;
      await add(next);
      background += 1;
      next = (next % backgroundPairs) + 1;
    }
    if (i % 200_000 === 199_999) {
      await flush();
      await conn.query('COMMIT');
      await conn.query('START TRANSACTION');
      process.stdout.write(`  seeded ${rows.toLocaleString('en-US')} rows\n`);
    }
  }
  for (let c = 1; c < firstListConversation; c++) while (seq[c] < perBackground) await add(c);
  // Round-robin over the list user's conversations, so that their last messages interleave.
  for (let round = 0; round < LIST_MESSAGES_EACH; round++) for (let c = firstListConversation; c < pairs.length; c++) await add(c);
  await flush();
  await conn.query('COMMIT');
  await conn.query('SET SESSION unique_checks = 1');
  await conn.query('ANALYZE TABLE `message`, conversation, `user`');
  return { seconds: (performance.now() - started) / 1000, mainConversationId: 1, messageRows: rows };
}

/**
 * Per-member conversation state for the seeded rows, as an upgrade from the legacy schema writes
 * it: the conversation-state migration taken down and run again over the whole database. Then
 * half the list user's conversations get unread messages, so the list carries real counts.
 */
async function backfillConversationState(ds: DataSource): Promise<number> {
  const started = performance.now();
  const migration = MIGRATIONS.map((M) => new M()).find((m) => m.name === 'ConversationState1716800000002');
  if (!migration) throw new Error('the conversation-state migration is missing');
  const runner = ds.createQueryRunner();
  try {
    await migration.down(runner);
    await migration.up(runner);
  } finally {
    await runner.release();
  }
  const seconds = (performance.now() - started) / 1000;
  await ds.query('UPDATE conversation_member SET read_seq = 0, read_count = 0 WHERE user_id = ? AND MOD(friend_id, 2) = 0', [L]);
  await ds.query('ANALYZE TABLE conversation_member');
  return seconds;
}

// ---------------------------------------------------------------- measuring

interface Scenario {
  name: string;
  impl: 'suite' | 'legacy SQL';
  path: string;
  form: string;
  samples: number;
  /** Whose request (default: user A's). */
  token?: string;
}

interface Measured {
  name: string;
  impl: string;
  request: string;
  samples: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

async function request(url: string, token: string, form: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { token, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  const text = await res.text();
  if (res.status !== 200 || !text.startsWith('{"status":0')) throw new Error(`${url} ${form}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text;
}

/**
 * Measures a group of scenarios in rounds (one request of each per round), so that noise from
 * other work on a shared machine spreads evenly over them instead of landing on one.
 */
async function measureGroup(base: string, token: string, group: Scenario[]): Promise<Measured[]> {
  const times = group.map(() => [] as number[]);
  const samples = Math.max(...group.map((s) => s.samples));
  const warmup = Math.max(2, Math.min(30, Math.floor(samples / 10)));
  for (let i = 0; i < warmup; i++) for (const s of group) await request(`${base}${s.path}`, s.token ?? token, s.form);
  const deadline = performance.now() + SCENARIO_MS * group.length;
  for (let pass = 0; pass < samples && performance.now() < deadline; pass++) {
    for (const [i, s] of group.entries()) {
      const t0 = performance.now();
      await request(`${base}${s.path}`, s.token ?? token, s.form);
      times[i].push(performance.now() - t0);
    }
  }
  return group.map((s, i) => {
    const t = times[i].sort((x, y) => x - y);
    return {
      name: s.name,
      impl: s.impl,
      request: s.form,
      samples: t.length,
      p50: round(percentile(t, 50), 2),
      p99: round(percentile(t, 99), 2),
      mean: round(mean(t), 2),
      max: round(t[t.length - 1], 2),
    };
  });
}

function table(rows: Measured[], page1: number): string {
  const head = ['scenario', 'implementation', 'samples', 'p50 ms', 'p99 ms', 'p50 / suite page 1'];
  const body = rows.map((r) => [r.name, r.impl, String(r.samples), r.p50.toFixed(2), r.p99.toFixed(2), `${(r.p50 / page1).toFixed(2)}x`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const admin = await createConnection({ uri: MYSQL_URL });
  const version = ((await admin.query('SELECT VERSION() AS v')) as unknown as [{ v: string }[]])[0][0].v;
  await admin.query(`CREATE DATABASE \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dbUrl = `${MYSQL_URL}/${DB_NAME}`;
  let app: INestApplication | undefined;
  try {
    process.stdout.write(`history bench: database ${DB_NAME} on MariaDB ${version}\n`);
    const ds = new DataSource(dataSourceOptions(dbUrl, true));
    await ds.initialize();
    await ds.destroy();
    const conn = await createConnection({ uri: dbUrl, charset: 'utf8mb4_unicode_ci' });
    process.stdout.write(`seeding ${MESSAGES.toLocaleString('en-US')} messages in one conversation + ${BACKGROUND.toLocaleString('en-US')} background...\n`);
    const seeded = await seed(conn);
    await conn.end();
    process.stdout.write(`seeded ${seeded.messageRows.toLocaleString('en-US')} rows in ${seeded.seconds.toFixed(1)} s\n`);
    const stateDs = new DataSource(dataSourceOptions(dbUrl, false));
    await stateDs.initialize();
    const backfillSeconds = await backfillConversationState(stateDs);
    await stateDs.destroy();
    process.stdout.write(`conversation state back-filled by the migration in ${backfillSeconds.toFixed(1)} s\n`);

    Object.assign(process.env, {
      DATABASE_URL: dbUrl,
      DATABASE_RUN_MIGRATIONS: 'false',
      JWT_SECRET,
      CHAT_DEV_MODE: 'false',
      LOG_LEVEL: 'error',
    });
    app = await createApp(BenchModule, {}, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const token = await app.get(TokenService).sign(A);

    const db = app.get(DataSource);
    const idAt = async (s: number) => Number((await db.query('SELECT id FROM `message` WHERE conversation_id = 1 AND seq = ?', [s]))[0].id);
    const pages = Math.ceil(MESSAGES / PAGE_SIZE);
    const middle = Math.ceil(pages / 2);
    const ours = '/chat_message/get_Message_History.do';
    const legacy = '/bench/legacy_history';
    const page = (n: number) => `pageNum=${n}&pageSize=${PAGE_SIZE}&friendId=${B}`;

    // Same answers, byte for byte, from both implementations.
    for (const n of [1, middle, pages]) {
      const [a, b] = [await request(`${base}${ours}`, token, page(n)), await request(`${base}${legacy}`, token, page(n))];
      if (a !== b) throw new Error(`page ${n}: the suite and the legacy SQL disagree:\n${a.slice(0, 300)}\n${b.slice(0, 300)}`);
    }
    process.stdout.write(`cross-check: pages 1, ${middle} and ${pages} identical from both implementations\n`);

    const midId = await idAt(Math.floor(MESSAGES / 2));
    // The plans behind the numbers, kept in the report.
    const mid = Math.floor(MESSAGES / 2);
    const explainParams: Record<keyof typeof HISTORY_QUERIES, unknown[]> = {
      findConversation: [A, B],
      findBySeqRange: [1, MESSAGES - PAGE_SIZE + 1, MESSAGES],
      findPosition: [midId],
      findBeforeSeq: [1, mid - PAGE_SIZE - 1, mid, PAGE_SIZE + 1],
      findAfterSeq: [1, MESSAGES - 100, MESSAGES - 100 + PAGE_SIZE + 1, PAGE_SIZE + 1],
    };
    const plans: Record<string, unknown> = {};
    for (const [name, sql] of Object.entries(HISTORY_QUERIES)) {
      plans[name] = await db.query(`EXPLAIN ${sql}`, explainParams[name as keyof typeof HISTORY_QUERIES]);
    }
    plans.legacyCount = await db.query(
      'EXPLAIN SELECT count(0) FROM `message` m WHERE (m.sender = ? AND m.`to` = ?) OR (m.sender = ? AND m.`to` = ?)',
      [A, B, B, A],
    );
    if (process.env.BENCH_PRINT_PLANS) process.stdout.write(`${JSON.stringify(plans, null, 1)}\n`);
    // The conversation list of L: walk every page once (checking it), keep a cursor mid-way.
    const listPath = '/chat_message/get_Conversation_List.do';
    const listToken = await app.get(TokenService).sign(L);
    const listed = new Set<number>();
    let cursor: string | null = null;
    let midCursor = '';
    let totalUnread = -1;
    for (let n = 0; n === 0 || cursor; n++) {
      const answer = JSON.parse(await request(`${base}${listPath}`, listToken, `limit=${LIST_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as {
        data: { list: { friendId: number }[]; nextCursor: string | null; totalUnread: number };
      };
      answer.data.list.forEach((i) => listed.add(i.friendId));
      totalUnread = answer.data.totalUnread;
      cursor = answer.data.nextCursor;
      if (n === Math.floor(LIST_CONVERSATIONS / LIST_PAGE / 2)) midCursor = cursor ?? '';
    }
    const expectedUnread = Array.from({ length: LIST_CONVERSATIONS }, (_, k) => FIRST_FRIEND_OF_L + k).filter((f) => f % 2 === 0).length;
    if (listed.size !== LIST_CONVERSATIONS || totalUnread !== expectedUnread) {
      throw new Error(`the list of user ${L}: ${listed.size} conversations (expected ${LIST_CONVERSATIONS}), total unread ${totalUnread} (expected ${expectedUnread})`);
    }
    process.stdout.write(`cross-check: the list walks ${listed.size} conversations, total unread ${totalUnread}\n`);
    plans.listPage = await db.query(`EXPLAIN ${CONVERSATION_QUERIES.listPage}`, [L, Number.MAX_SAFE_INTEGER, LIST_PAGE]);
    plans.totalUnread = await db.query(`EXPLAIN ${CONVERSATION_QUERIES.totalUnread}`, [L]);
    const nearStartId = await idAt(10);
    const nearEndId = await idAt(MESSAGES - 100);
    const scenarios: Scenario[] = [
      { name: 'page 1', impl: 'suite', path: ours, form: page(1), samples: SAMPLES },
      { name: `middle page (${middle})`, impl: 'suite', path: ours, form: page(middle), samples: SAMPLES },
      { name: `last page (${pages})`, impl: 'suite', path: ours, form: page(pages), samples: SAMPLES },
      { name: 'cursor: newest (limit)', impl: 'suite', path: ours, form: `limit=${PAGE_SIZE}&friendId=${B}`, samples: SAMPLES },
      { name: 'cursor: beforeId mid-conversation', impl: 'suite', path: ours, form: `beforeId=${midId}&limit=${PAGE_SIZE}&friendId=${B}`, samples: SAMPLES },
      { name: 'cursor: afterId near the start', impl: 'suite', path: ours, form: `afterId=${nearStartId}&limit=${PAGE_SIZE}&friendId=${B}`, samples: SAMPLES },
      { name: 'cursor: afterId near the end', impl: 'suite', path: ours, form: `afterId=${nearEndId}&limit=${PAGE_SIZE}&friendId=${B}`, samples: SAMPLES },
      { name: `list: first ${LIST_PAGE} of ${LIST_CONVERSATIONS} conversations`, impl: 'suite', path: listPath, form: `limit=${LIST_PAGE}`, samples: SAMPLES, token: listToken },
      { name: 'list: mid-way by cursor', impl: 'suite', path: listPath, form: `limit=${LIST_PAGE}&cursor=${encodeURIComponent(midCursor)}`, samples: SAMPLES, token: listToken },
      { name: 'page 1', impl: 'legacy SQL', path: legacy, form: page(1), samples: BASELINE_SAMPLES },
      { name: `middle page (${middle})`, impl: 'legacy SQL', path: legacy, form: page(middle), samples: BASELINE_SAMPLES },
      { name: `last page (${pages})`, impl: 'legacy SQL', path: legacy, form: page(pages), samples: BASELINE_SAMPLES },
    ];
    const results: Measured[] = [];
    for (const impl of ['suite', 'legacy SQL'] as const) {
      const group = scenarios.filter((s) => s.impl === impl);
      process.stdout.write(`  measuring ${impl}: ${group.length} scenarios in rounds...\n`);
      results.push(...(await measureGroup(base, token, group)));
    }
    const page1 = results[0].p50;
    const last = results[2].p50;
    const legacyLast = results[results.length - 1].p50;
    process.stdout.write(`\n${table(results, page1)}\n\n`);
    const summary = {
      lastPageOverPage1: Math.round((last / page1) * 100) / 100,
      goalLastWithin1_5xOfPage1: last <= 1.5 * page1,
      legacyLastOverSuiteLast: Math.round((legacyLast / last) * 10) / 10,
    };
    process.stdout.write(
      `last page / page 1 (suite, p50): ${summary.lastPageOverPage1}x (goal <= 1.5x: ${summary.goalLastWithin1_5xOfPage1 ? 'met' : 'NOT met'}); ` +
        `legacy SQL last page is ${summary.legacyLastOverSuiteLast}x the suite's\n`,
    );

    const report = {
      bench: 'history',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, mariadb: version },
      settings: { messages: MESSAGES, background: BACKGROUND, listConversations: LIST_CONVERSATIONS, listMessagesEach: LIST_MESSAGES_EACH, listPage: LIST_PAGE, pageSize: PAGE_SIZE, samples: SAMPLES, baselineSamples: BASELINE_SAMPLES, scenarioMs: SCENARIO_MS, rowsPerInsert: ROWS_PER_INSERT },
      seed: { ...seeded, backfillSeconds },
      method: 'sequential HTTP POST requests (one in flight) to the history app in this process, scenarios of one implementation interleaved in rounds; warm-up excluded; nearest-rank percentiles',
      results,
      summary,
      plans,
    };
    const dir = join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `history-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(dir, 'history-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${file.slice(ROOT.length + 1)}\n`);
  } finally {
    await app?.close();
    await admin.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``);
    await admin.end();
  }
}

main().catch((e) => {
  process.stderr.write(`history bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
