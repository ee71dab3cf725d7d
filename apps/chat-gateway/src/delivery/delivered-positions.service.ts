import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { LogThrottle } from '@app/common';
import { ConversationRepository, DeliveredPosition } from '@app/database';
import { SerialBatcher } from '@app/common';

const RETRY_MIN_MS = 200;
/** Between two writes: positions of many sockets and rounds go in one statement. */
const WRITE_EVERY_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Records how far each user's devices have received each conversation: one position per
 * conversation and member, never one write per message. Positions waiting to be written are
 * merged (the highest wins), written together in one statement, and kept and retried when the
 * write fails: a failed write would otherwise bring the same messages again at the next connect.
 * Once written, the friend's sockets hear of it (the `delivered` receipt of protocol v2).
 */
@Injectable()
export class DeliveredPositions implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveredPositions.name);
  private readonly throttled = new LogThrottle(this.logger);
  /** Waiting to be written, by `user:friend`. */
  private pending = new Map<string, DeliveredPosition & { receipt?: boolean }>();
  private readonly batcher = new SerialBatcher<true>(() => this.flush(), Number.MAX_SAFE_INTEGER);
  /** Being written now. */
  private writing: DeliveredPosition[] = [];
  private retryMs = 0;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  /** Those waiting in settled() for a write to end. */
  private written?: Promise<void>;
  private wakeWriters?: () => void;

  constructor(
    private readonly conversations: ConversationRepository,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  /** `receipt`: the friend's v2 sockets hear of it (a legacy sender could not read a receipt). */
  record(userId: number, friendId: number, seq: number, receipt = false): void {
    if (seq < 1) return;
    const key = `${userId}:${friendId}`;
    const known = this.pending.get(key);
    if (known && known.seq >= seq) {
      if (receipt) known.receipt = true;
      return;
    }
    this.pending.set(key, { userId, friendId, seq, receipt: receipt || known?.receipt });
    if (!this.retryTimer) this.batcher.push(true);
  }

  /**
   * Resolves once no position of `userId` waits to be written (or `timeoutMs` passed), so a
   * backlog read afterwards does not bring again what a socket of this process just got. Other
   * users' positions are not waited for.
   */
  async settled(userId: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.waitsFor(userId) && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.nextWrite(), new Promise((r) => (timer = setTimeout(r, left)).unref())]);
      clearTimeout(timer);
    }
  }

  /** Resolves when the write under way (or the next) has ended, stored or not: woken, not polled. */
  private nextWrite(): Promise<void> {
    return (this.written ??= new Promise<void>((r) => (this.wakeWriters = r)));
  }

  private wrote(): void {
    const wake = this.wakeWriters;
    this.written = this.wakeWriters = undefined;
    wake?.();
  }

  private waitsFor(userId: number): boolean {
    for (const e of this.pending.values()) if (e.userId === userId) return true;
    for (const e of this.writing) if (e.userId === userId) return true;
    return false;
  }

  /** Shutdown: writes what is waiting, once more if it fails. */
  async drain(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.batcher.push(true);
    }
    await this.batcher.drain();
    if (this.pending.size) {
      this.batcher.push(true);
      await this.batcher.drain();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
    this.closed = true;
    this.wrote();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async flush(): Promise<void> {
    if (!this.pending.size) return;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    this.writing = entries;
    try {
      await this.conversations.recordDelivered(entries);
      this.retryMs = 0;
    } catch (e) {
      // Kept, merged with what came meanwhile, and written again after a pause.
      for (const entry of entries) {
        const key = `${entry.userId}:${entry.friendId}`;
        const newer = this.pending.get(key);
        if (!newer || newer.seq < entry.seq) this.pending.set(key, entry);
      }
      this.writing = [];
      this.wrote();
      this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
      this.throttled.warn('record', `recording ${entries.length} delivered position(s) failed, again in ${this.retryMs} ms: ${String(e)}`);
      if (!this.closed && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.batcher.push(true);
        }, this.retryMs);
        this.retryTimer.unref();
      }
      return;
    }
    this.writing = [];
    this.wrote();
    for (const e of entries) {
      if (!e.receipt) continue;
      this.bus
        .publish([e.friendId], { type: 'delivered', by: e.userId, friendId: e.friendId, seq: e.seq })
        .catch(() => undefined); // a lost receipt is superseded by the next one
    }
    // What comes meanwhile waits for the next write (the batcher runs one write at a time), so
    // the positions of many sockets and rounds go in one statement.
    if (!this.closed) await new Promise((r) => setTimeout(r, WRITE_EVERY_MS).unref());
  }
}
