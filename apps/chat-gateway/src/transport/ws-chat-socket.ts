import type { WebSocket } from 'ws';
import type { ChatSocket, DrainListener } from '../delivery/chat-socket';
import type { ProtocolVersion, ServerEvent } from '../protocol/events';
import type { ReplyFrame } from '../protocol/frame-codec';
import { encodeEvent, encodeReply } from './frame-encoder';

/** How often a socket over its send budget is looked at until it drains. */
const DRAIN_POLL_MS = 25;
/** After closing a socket that does not read, how long its close handshake may take. */
const CLOSE_GRACE_MS = 3000;

/**
 * A `ws` socket as delivery sees it: typed events encoded into frames and written within a send budget (bytes the network has
 * not taken yet, as `bufferedAmount` counts them), confirmation pings, and liveness for the ping
 * loop.
 */
export class WsChatSocket implements ChatSocket {
  /** Cleared on each liveness ping, set by any pong: a socket that misses one is dropped. */
  alive = true;
  private confirmations = 0;
  private waiting?: { seq: number; resolve: (ok: boolean) => void }[];
  /** Delivery's drain listener (one function for every socket). */
  private drainListener?: DrainListener;
  private drainTimer?: NodeJS.Timeout;
  private over = false;
  private hasClosed = false;
  /** Made when someone waits for the close (shutdown), not for every socket. */
  private closedWait?: { promise: Promise<void>; resolve: () => void };

  constructor(
    private readonly ws: WebSocket,
    readonly id: string,
    readonly userId: number,
    readonly version: ProtocolVersion,
    private readonly sendBudgetBytes: number,
  ) {}

  /** Any pong (the owner feeds them): alive, and confirmation pings up to its number answered. */
  handlePong(data: Buffer): void {
    this.alive = true;
    // Confirmation pings carry their number; a pong echoes it, and covers all earlier ones.
    const seq = data.length ? Number(data.toString()) : NaN;
    if (!Number.isInteger(seq) || !this.waiting) return;
    this.waiting = this.waiting.filter((w) => (w.seq <= seq ? (w.resolve(true), false) : true));
  }

  /** The socket closed (the owner tells it). */
  handleClose(): void {
    this.hasClosed = true;
    for (const w of this.waiting ?? []) w.resolve(false);
    this.waiting = undefined;
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.closedWait?.resolve();
  }

  /** Resolves once the socket has closed. */
  get closed(): Promise<void> {
    if (this.hasClosed) return Promise.resolve();
    if (!this.closedWait) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.closedWait = { promise, resolve };
    }
    return this.closedWait.promise;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get overBudget(): boolean {
    return this.over;
  }

  send(event: ServerEvent): boolean {
    if (!this.isOpen) return false;
    const data = encodeEvent(event, this.version);
    if (data !== null) this.write(data);
    return true;
  }

  /** A handler's answer to a frame of this socket. */
  reply(frame: ReplyFrame): boolean {
    if (!this.isOpen) return false;
    this.write(encodeReply(frame));
    return true;
  }

  private write(data: string): void {
    this.ws.send(data);
    if (!this.over && this.ws.bufferedAmount > this.sendBudgetBytes) this.startDrainWatch();
  }

  onDrain(listener: DrainListener): void {
    this.drainListener = listener;
  }

  confirm(timeoutMs: number): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(false);
    const seq = ++this.confirmations;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting?.filter((w) => w.seq !== seq);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      (this.waiting ??= []).push({
        seq,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
      this.ws.ping(String(seq));
    });
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
    // A client that does not read never answers the close frame either.
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Liveness: a ping whose pong any later frame or pong proves the client is there. */
  ping(): void {
    this.ws.ping();
  }

  terminate(): void {
    this.ws.terminate();
  }

  private startDrainWatch(): void {
    this.over = true;
    this.drainTimer = setInterval(() => {
      if (this.isOpen && this.ws.bufferedAmount > this.sendBudgetBytes / 2) return;
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
      this.over = false;
      if (this.isOpen) this.drainListener?.(this);
    }, DRAIN_POLL_MS);
    this.drainTimer.unref();
  }
}
