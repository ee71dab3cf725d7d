import type { WebSocket } from 'ws';
import { ChatSocket } from '../delivery/chat-socket';

/** A `ws` socket as delivery sees it. */
export class WsChatSocket implements ChatSocket {
  /** Cleared on each ping, set by the pong: a socket that misses one is dropped. */
  alive = true;

  constructor(
    private readonly ws: WebSocket,
    readonly id: string,
    readonly userId: number,
  ) {}

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
