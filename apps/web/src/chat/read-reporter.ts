import { encodeRead } from '../protocol/frames';
import type { ClientContext } from './client-context';

// Read positions go out at most this often per conversation (the newest one seen meanwhile).
export const READ_EVERY_MS = 500;

/**
 * Reports read positions: batched per conversation (the newest only), as a `read` frame on a v2
 * socket, else over HTTP (mark_Read.do reaches the friend and the other tabs the same way).
 */
export class ReadReporter {
  private readonly due = new Map<number, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly ctx: Pick<ClientContext, 'v2' | 'send' | 'api' | 'token'>) {}

  /** The position waiting to go out for `friendId`, if any. */
  pending(friendId: number): number | undefined {
    return this.due.get(friendId);
  }

  queue(friendId: number, seq: number): void {
    this.due.set(friendId, Math.max(seq, this.due.get(friendId) ?? 0));
    this.timer ??= setTimeout(() => this.flush(), READ_EVERY_MS);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    this.timer = null;
    const due = [...this.due];
    this.due.clear();
    for (const [friendId, seq] of due) {
      if (this.ctx.v2() && this.ctx.send(encodeRead(friendId, seq))) continue;
      // No v2 socket now: over HTTP. One that does not get through is reported again after the
      // next read of the list (ListLoader).
      this.ctx.api.markRead(this.ctx.token(), friendId, seq).catch(() => undefined);
    }
  }
}
