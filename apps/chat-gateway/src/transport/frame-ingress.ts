import type { WebSocket } from 'ws';
import type { IncomingFrame } from '../protocol/events';
import { FrameRate } from './frame-rate';
import { InboundBudget } from './inbound-budget';

export type { IncomingFrame } from '../protocol/events';

export interface IngressLimits {
  /** Frames waiting to be handled, above which the socket is no longer read. */
  maxFrames: number;
  maxBytes: number;
  /** Overruns (the bound reached) in OVERRUN_WINDOW_MS after which the socket is closed (0: never). */
  maxOverruns: number;
}

/**
 * Where an ingress hands its frames and reports. One sink serves every socket (it is told whose
 * socket), so an idle socket carries no callbacks of its own.
 */
export interface IngressSink<O> {
  handle(owner: O, frame: IncomingFrame): Promise<void>;
  paused(owner: O): void;
  /** Kept overrunning its bound (`overrun`) or pinging faster than its frame rate (`ping`): to be closed with 1008. */
  flooding(owner: O, reason: FloodReason): void;
  failed(owner: O, error: unknown): void;
}

export type FloodReason = 'overrun' | 'ping';

const OVERRUN_WINDOW_MS = 10_000;

/**
 * The frames of one socket, handled one after another in the order they came (Nest would
 * interleave them), no faster than its user's frame rate. What waits is bounded, in frames and
 * bytes per socket and in bytes over the replica: above the bound the socket is paused (not
 * read), so TCP pushes back on the client, and read again once the queue has drained to half. A
 * client that keeps hitting the bound is closed with 1008. Memory per socket is so bounded, and
 * CPU per user, whatever a client sends.
 */
export class FrameIngress<O = unknown> {
  /** Made with the first frame (an idle socket never sends one), like the overruns' times. */
  private queue?: IncomingFrame[];
  private bytes = 0;
  private busy = false;
  private paused = false;
  private overruns?: number[];
  private closed = false;
  /** Made the first time the replica's budget runs out while this socket waits for room. */
  private resumer?: () => void;

  /** The owner feeds it: `receive` for each message of the socket, `close` once it closed. */
  constructor(
    private readonly ws: WebSocket,
    private readonly owner: O,
    private readonly sink: IngressSink<O>,
    private readonly limits: IngressLimits,
    private readonly budget: InboundBudget,
    /** The socket's user's frame rate, shared by the user's sockets on this replica. */
    private readonly rate: FrameRate,
  ) {}

  receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.push(toBuffer(data), isBinary);
  }

  /**
   * A ping came (ws has answered it already). Pings are frames: each takes a token of the user's
   * frame rate. A ping over the rate cannot wait in the queue like a data frame (ws answers it as
   * it is read), so the socket is not read until the rate has room again, and the ping counts as
   * an overrun: a client that keeps pinging faster than the rate is closed with 1008.
   */
  ping(): void {
    if (this.closed) return;
    const wait = this.rate.take();
    if (wait === 0) return;
    if (this.overran()) return this.flood('ping');
    if (this.paused) return;
    this.paused = true;
    this.ws.pause();
    this.sink.paused(this.owner);
    setTimeout(this.resume, wait).unref();
  }

  private get resume(): () => void {
    return (this.resumer ??= () => this.maybeResume());
  }

  /** Paused by this ingress: not read, so it cannot answer pings either. */
  get isPaused(): boolean {
    return this.paused;
  }

  get waiting(): number {
    return this.queue?.length ?? 0;
  }

  private push(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    const frame: IncomingFrame = { raw: isBinary ? null : data.toString('utf8'), receivedAt: Date.now(), bytes: data.length };
    const queue = (this.queue ??= []);
    queue.push(frame);
    this.bytes += frame.bytes;
    this.budget.take(frame.bytes);
    if (!this.paused && (queue.length > this.limits.maxFrames || this.bytes > this.limits.maxBytes || this.budget.exhausted)) this.pause();
    if (!this.busy) void this.run();
  }

  private async run(): Promise<void> {
    this.busy = true;
    const queue = this.queue!;
    while (queue.length && !this.closed) {
      const wait = this.rate.take();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.closed) break;
      const frame = queue.shift()!;
      this.bytes -= frame.bytes;
      this.budget.give(frame.bytes);
      this.maybeResume();
      try {
        await this.sink.handle(this.owner, frame);
      } catch (e) {
        this.sink.failed(this.owner, e);
      }
    }
    this.busy = false;
  }

  private pause(): void {
    this.paused = true;
    this.ws.pause();
    this.sink.paused(this.owner);
    if (this.overran()) return this.flood('overrun');
    if (this.budget.exhausted) this.budget.whenRoom(this.resume);
  }

  /** Counts an overrun: whether the socket has now overrun its bound too often in the window. */
  private overran(): boolean {
    const now = Date.now();
    const overruns = (this.overruns = (this.overruns ?? []).filter((t) => now - t < OVERRUN_WINDOW_MS));
    overruns.push(now);
    return this.limits.maxOverruns > 0 && overruns.length > this.limits.maxOverruns;
  }

  /** Closed: what it still sends is not read, and what waits is not handled. */
  private flood(reason: FloodReason): void {
    if (!this.paused) {
      this.paused = true;
      this.ws.pause();
    }
    this.closed = true;
    if (this.queue) this.queue.length = 0;
    this.budget.give(this.bytes);
    this.bytes = 0;
    this.sink.flooding(this.owner, reason);
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.waiting > this.limits.maxFrames / 2 || this.bytes > this.limits.maxBytes / 2) return;
    if (this.budget.exhausted) return this.budget.whenRoom(this.resume);
    this.paused = false;
    this.ws.resume();
  }

  close(): void {
    if (this.resumer) this.budget.forget(this.resumer);
    if (this.closed && !this.bytes) return;
    this.closed = true;
    this.budget.give(this.bytes);
    this.bytes = 0;
    if (this.queue) this.queue.length = 0;
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
