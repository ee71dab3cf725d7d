import type { SendRecord } from './checker';

const FILLERS = ['你好', '测试消息 🙂', 'hello there', 'ok 👍', '晚上一起吃饭吗？', 'on my way', '收到', `${'长消息'.repeat(40)} 🐢`];

function bump(counts: Record<string, number>, key: string | number): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * What the clients did and saw, for the checker and the report: every send with its answers,
 * and counters of everything else (error frames, closes, refused upgrades, frames ignored).
 */
export class SendLedger {
  readonly sends: SendRecord[] = [];
  private counter = 0;
  /** Error frames received, by code (all devices, legacy ones included). */
  readonly errorFrames: Record<string, number> = {};
  /** Error frames on a modern socket that matched no outstanding send. */
  unattributedErrors = 0;
  /** Closes seen by clients, by code. */
  readonly closes: Record<string, number> = {};
  /** Upgrades answered with HTTP instead of a socket, by status. */
  readonly upgradeRefusals: Record<string, number> = {};
  connects = 0;
  /** Connection attempts that failed before a socket opened (refused, reset, timed out). */
  connectFailures = 0;
  heartbeats = 0;
  floodFrames = 0;
  /** Frames that are neither messages, acks, errors nor typed frames. */
  badFrames = 0;
  /** Typed frames (protocol v2: read, delivered, typing…), ignored by the checker. */
  readonly typedFrames: Record<string, number> = {};
  /** Sends the schedule wanted but no user had an open device and budget for. */
  skipped = 0;
  /** Last time any device received a frame (the settle phase waits for quiet). */
  lastFrameAt = 0;
  /** When the run started: event and receipt times count from here. */
  constructor(readonly t0 = Date.now()) {}

  /** Adds a timed event to a send's history. */
  note(send: SendRecord, event: string): void {
    (send.history ??= []).push(`+${((Date.now() - this.t0) / 1000).toFixed(1)}s ${event}`);
  }

  /** A text no other send of the run has. */
  nextText(userId: number, tag: 's' | 'f' = 's'): string {
    this.counter += 1;
    return `${tag}${this.counter} u${userId} ${FILLERS[this.counter % FILLERS.length]}`;
  }

  record(send: Omit<SendRecord, 'attempts' | 'timeouts' | 'errors' | 'ackIds' | 'gaveUp'>): SendRecord {
    const full: SendRecord = { ...send, attempts: 0, timeouts: 0, errors: [], ackIds: [], gaveUp: false };
    this.sends.push(full);
    return full;
  }

  errorFrame(code: string): void {
    bump(this.errorFrames, code);
  }

  closed(code: number): void {
    bump(this.closes, code);
  }

  refusedUpgrade(status: number): void {
    bump(this.upgradeRefusals, status);
  }

  typedFrame(type: string): void {
    bump(this.typedFrames, type);
  }
}
