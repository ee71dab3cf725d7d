import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { LogThrottle, sleep } from '@app/common';
import { ChatConfig } from '@app/config';
import { MessageStore, NewMessage, OutcomeUnknownError, StoredMessage, StoreExpiredError, StoreResult } from '@app/database';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { SerialBatcher } from '@app/common';

/**
 * How a send ended, by its deadline:
 * - stored / duplicate: in the database (a duplicate: its clientMsgId was stored before);
 * - failed: not stored, and never will be;
 * - inadmissible: its admission (see submit) said no: not stored;
 * - timeout: no answer by the deadline; `later` tells, once the database does, whether it was
 *   stored after all (it then keeps its receive time) or not.
 */
export type WriteOutcome =
  | { kind: 'stored'; message: StoredMessage }
  | { kind: 'duplicate'; message: StoredMessage }
  | { kind: 'failed' }
  | { kind: 'inadmissible' }
  | { kind: 'timeout'; later: Promise<StoredMessage | null> };

interface Pending {
  item: NewMessage;
  deadline: number;
  admission?: Promise<boolean>;
  /** queued: not yet sent to the database; writing: in a batch on its way; answered: timed out while writing. */
  state: 'queued' | 'writing' | 'answered' | 'done';
  resolve: (o: WriteOutcome) => void;
  late?: (m: StoredMessage | null) => void;
  timer?: NodeJS.Timeout;
}

/** The database's own deadline check comes this much before the sender's, so a refusal arrives in time. */
export const GUARD_MARGIN_MS = 250;
/** After an unknown outcome, how long the store is asked again whether the batch made it. */
const VERIFY_FOR_MS = 10 * 60_000;
const VERIFY_EVERY_MS = 1000;
/** At shutdown, how long the writer waits for outcomes being looked up (within CHAT_SHUTDOWN_GRACE_MS). */
const LOOKUP_DRAIN_MS = 5000;
/** Batches failing in a row (no commit between) after which the writer is not making progress. */
export const STALLED_AFTER_FAILURES = 3;
/** How often the writer checks its own progress (and logs a change). */
const PROGRESS_CHECK_MS = 1000;

/** Whether the writer makes progress: `reason` says why not. */
export interface WriterProgress {
  ok: boolean;
  reason?: string;
  /** Batches on their way to the database now, and the age of the oldest (ms). */
  outstanding: number;
  oldestMs: number;
  failuresInARow: number;
}

/**
 * Groups concurrent sends into one transaction: one commit per message caps a replica at the
 * database's commit rate. Conversations are spread over `shards` writers that each write one batch
 * at a time, so batches of different conversations overlap while each conversation is stored, and
 * settles, in the order its messages arrived.
 *
 * Every send has a deadline (CHAT_STORE_TIMEOUT_MS after it was received). One still queued then
 * is withdrawn: never sent, never stored. One on its way is answered `timeout`; the database
 * itself refuses a batch that reaches it after the deadline, so it can only have been stored in
 * time, and `later` says which once the database answers (or, after a lost connection, once a
 * look-up finds it or not).
 */
@Injectable()
export class MessageWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private readonly throttled = new LogThrottle(this.logger);
  private readonly shards: SerialBatcher<Pending>[];
  private queued = 0;
  /** Batches whose outcome a lost connection left unknown, being looked up. */
  private readonly lookups = new Set<Promise<void>>();
  /** When each batch on its way to the database left. */
  private readonly outstanding = new Set<{ since: number }>();
  private failuresInARow = 0;
  private lastFailure = '';
  /** The reason last logged for not making progress (empty: making progress). */
  private stalledReason = '';
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly store: MessageStore,
    private readonly config: ChatConfig,
    @Optional() private readonly metrics?: ChatMetrics,
  ) {
    // SQLite has one connection, which cannot hold two transactions at once.
    const count = store.concurrentWrites ? config.storeShards : 1;
    this.shards = Array.from({ length: count }, () => new SerialBatcher<Pending>((batch) => this.write(batch), config.storeBatchMax));
    this.watchdog = setInterval(() => this.progress(), PROGRESS_CHECK_MS);
    this.watchdog.unref();
  }

  /**
   * A batch older than this means stores are not getting through: its senders have had their
   * deadline answer already (CHAT_STORE_TIMEOUT_MS), and a call is settled by the statement
   * timeout at the latest.
   */
  private get stallAfterMs(): number {
    return Math.min(this.config.storeTimeoutMs, this.store.statementTimeoutMs ?? 10_000);
  }

  /**
   * Whether batches are getting stored: not while one has waited for the database longer than
   * the store timeout (or the statement timeout, if shorter), nor after STALLED_AFTER_FAILURES
   * batches failed in a row. A committed batch makes it ok again. A change is logged.
   */
  progress(): WriterProgress {
    const now = Date.now();
    let oldest = now;
    for (const o of this.outstanding) oldest = Math.min(oldest, o.since);
    const oldestMs = now - oldest;
    let reason: string | undefined;
    if (oldestMs > this.stallAfterMs) {
      reason = `a batch has waited ${oldestMs} ms for the database, longer than ${this.stallAfterMs} ms (CHAT_STORE_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS)`;
    } else if (this.failuresInARow >= STALLED_AFTER_FAILURES) {
      reason = `the last ${this.failuresInARow} batches failed, none stored since (last: ${this.lastFailure})`;
    }
    if (reason && !this.stalledReason) this.logger.error(`messages are not being stored: ${reason}`);
    if (!reason && this.stalledReason) this.logger.warn('messages are being stored again');
    this.stalledReason = reason ? reason : '';
    return { ok: !reason, reason, outstanding: this.outstanding.size, oldestMs, failuresInARow: this.failuresInARow };
  }

  /**
   * For readiness after failures with no traffic to commit a batch (a replica out of the balancer
   * gets none): once the store's connections answer again, the failures are forgotten.
   */
  async probeAfterFailures(): Promise<void> {
    if (this.failuresInARow < STALLED_AFTER_FAILURES || this.outstanding.size) return;
    await this.store.probe();
    this.failuresInARow = 0;
  }

  /** Sends waiting or being written (for the readiness check and back-pressure). */
  get inFlight(): number {
    return this.queued;
  }

  /**
   * Stores `item` unless `deadline` (epoch ms) passes first. Never rejects. `admission`, a check
   * still under way when the send is queued (the rate limit's count in Redis), must resolve true
   * before the batch is written, or the send is answered `inadmissible` and not written: the
   * check's round trip overlaps the wait for the batch instead of coming before it, and the send
   * holds its place in its conversation's order meanwhile.
   */
  submit(item: NewMessage, deadline: number, admission?: Promise<boolean>): Promise<WriteOutcome> {
    const lo = Math.min(item.senderId, item.to);
    const hi = Math.max(item.senderId, item.to);
    const shard = this.shards[(lo * 31 + hi) % this.shards.length];
    return new Promise((resolve) => {
      const pending: Pending = { item, deadline, state: 'queued', resolve, admission };
      this.queued += 1;
      pending.timer = setTimeout(() => this.expire(pending), Math.max(0, deadline - Date.now()));
      pending.timer.unref();
      shard.push(pending);
    });
  }

  /**
   * Resolves once everything queued so far is written (graceful shutdown), and the outcomes a
   * lost connection left unknown are known, for at most `lookupWaitMs`: a send the database did
   * store gets its late ack before the socket closes.
   */
  async drain(lookupWaitMs = LOOKUP_DRAIN_MS): Promise<void> {
    await Promise.all(this.shards.map((s) => s.drain()));
    if (!this.lookups.size || lookupWaitMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.lookups), new Promise((r) => (timer = setTimeout(r, lookupWaitMs)))]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.watchdog);
    // GracefulShutdown waited for the look-ups already, before the sockets closed.
    await this.drain(0);
  }

  private expire(p: Pending): void {
    if (p.state === 'queued') {
      // Still waiting for its batch: it never leaves this process.
      this.metrics?.storeTimeouts.inc();
      this.finish(p, { kind: 'failed' });
    } else if (p.state === 'writing') {
      p.state = 'answered';
      this.metrics?.storeTimeouts.inc();
      p.resolve({ kind: 'timeout', later: new Promise((resolve) => (p.late = resolve)) });
    }
  }

  private finish(p: Pending, outcome: WriteOutcome): void {
    if (p.state === 'done') return;
    const wasAnswered = p.state === 'answered';
    p.state = 'done';
    clearTimeout(p.timer);
    this.queued -= 1;
    if (!wasAnswered) return p.resolve(outcome);
    const stored = outcome.kind === 'stored' || outcome.kind === 'duplicate' ? outcome.message : null;
    if (stored) this.metrics?.lateAcks.inc();
    p.late?.(stored);
  }

  private async write(batch: Pending[]): Promise<void> {
    await this.admit(batch);
    const live = batch.filter((p) => p.state === 'queued');
    if (!live.length) return;
    for (const p of live) p.state = 'writing';
    const items = live.map((p) => p.item);
    const guard = Math.min(...live.map((p) => p.deadline)) - GUARD_MARGIN_MS;
    const stopTimer = this.metrics?.storeLatency.startTimer();
    this.metrics?.storeBatchSize.observe(live.length);
    const out = { since: Date.now() };
    this.outstanding.add(out);
    try {
      const results = await this.store.storeBatch(items, guard);
      this.failuresInARow = 0;
      live.forEach((p, i) => this.finish(p, toOutcome(results[i])));
    } catch (error) {
      if (!(error instanceof StoreExpiredError)) {
        this.failuresInARow += 1;
        this.lastFailure = error instanceof Error ? error.message : String(error);
      }
      if (error instanceof OutcomeUnknownError) {
        this.throttled.warn('unknown', `storing ${live.length} message(s): ${error.message}; their senders are answered now, the outcome is checked later`);
        for (const p of live) this.expire(p);
        const lookup: Promise<void> = this.verify(live, items, guard).finally(() => this.lookups.delete(lookup));
        this.lookups.add(lookup);
        return;
      }
      if (!(error instanceof StoreExpiredError)) {
        this.throttled.error('failed', `storing ${live.length} message(s) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      for (const p of live) this.finish(p, { kind: 'failed' });
    } finally {
      this.outstanding.delete(out);
      stopTimer?.();
    }
  }

  /**
   * Waits for the batch's admissions still under way, at most until the last of their deadlines
   * (by then each has been answered `failed`); a send refused there is answered, not written.
   */
  private async admit(batch: Pending[]): Promise<void> {
    const checked = batch.filter((p) => p.admission !== undefined);
    if (!checked.length) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, Math.max(...checked.map((p) => p.deadline)) - Date.now()));
    });
    const verdicts = await Promise.race([Promise.all(checked.map((p) => p.admission!.catch(() => false))), expired]);
    clearTimeout(timer);
    checked.forEach((p, i) => {
      if (verdicts?.[i] === false && p.state === 'queued') this.finish(p, { kind: 'inadmissible' });
    });
  }

  /** After a lost connection: looks the batch up until the database answers (the deadline has passed by then). */
  private async verify(live: Pending[], items: NewMessage[], guard: number): Promise<void> {
    const until = Date.now() + VERIFY_FOR_MS;
    await sleep(Math.max(0, guard + GUARD_MARGIN_MS - Date.now()));
    for (;;) {
      try {
        const found = await this.store.findStored(items);
        live.forEach((p, i) => {
          const m = found.get(i);
          this.finish(p, m ? { kind: 'stored', message: m } : { kind: 'failed' });
        });
        return;
      } catch (e) {
        if (Date.now() > until) {
          this.logger.error(`the outcome of ${items.length} send(s) stayed unknown for ${VERIFY_FOR_MS / 60_000} min: ${String(e)}`);
          for (const p of live) this.finish(p, { kind: 'failed' });
          return;
        }
        await sleep(VERIFY_EVERY_MS);
      }
    }
  }
}

function toOutcome(r: StoreResult): WriteOutcome {
  return r.status === 'stored' ? { kind: 'stored', message: r.message } : { kind: 'duplicate', message: r.message };
}
