import type { WebSocket } from 'ws';
import { ChatSocket } from '../delivery/chat-socket';

/** A `ws` socket as delivery sees it. */
export class WsChatSocket implements ChatSocket {
  /** Cleared on each ping, set by the pong: a socket that misses one is dropped. */
  alive = true;
  private confirmations = 0;
  private waiting: { seq: number; resolve: (ok: boolean) => void }[] = [];

  constructor(
    private readonly ws: WebSocket,
    readonly id: string,
    readonly userId: number,
  ) {
    ws.on('pong', (data: Buffer) => {
      this.alive = true;
      // Confirmation pings carry their number; a pong echoes it, and covers all earlier ones.
      const seq = data.length ? Number(data.toString()) : NaN;
      if (!Number.isInteger(seq)) return;
      this.waiting = this.waiting.filter((w) => (w.seq <= seq ? (w.resolve(true), false) : true));
    });
    ws.once('close', () => {
      for (const w of this.waiting) w.resolve(false);
      this.waiting = [];
    });
  }

  confirm(timeoutMs: number): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(false);
    const seq = ++this.confirmations;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w.seq !== seq);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiting.push({
        seq,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
      this.ws.ping(String(seq));
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(frame: object): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) return reject(new Error('socket closed'));
      this.ws.send(JSON.stringify(frame), (err) => (err ? reject(err) : resolve()));
    });
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}
