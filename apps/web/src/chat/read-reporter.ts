import { encodeRead } from '../protocol/frames';
import { listReadByMe } from '../store/conversation-list.state';
import { newestSeq, receiptsMoved, unreadAbove } from '../store/conversation.state';
import type { ClientContext } from './client-context';

// Read positions go out at most this often per conversation (the newest one seen meanwhile).
export const READ_EVERY_MS = 500;

/**
 * Moves the badge and the open conversation when the user has seen messages, and reports the
 * read positions: batched per conversation (the newest only), as a `read` frame on a v2
 * socket, else over HTTP (mark_Read.do reaches the friend and the other tabs the same way).
 */
export class ReadReporter {
  private readonly due = new Map<number, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly ctx: Pick<ClientContext, 'v2' | 'send' | 'api' | 'token' | 'conversations' | 'list'>) {}

  /**
   * The friend's messages up to `seq` came into view: the badge and the open conversation move at
   * once; the position goes out within READ_EVERY_MS (unless a newer one is known already).
   */
  seen(friendId: number, seq: number): void {
    const { conversations, list } = this.ctx;
    const store = conversations.get(friendId);
    const known = Math.max(store?.get().readSeq ?? 0, list.get().items.find((c) => c.friendId === friendId)?.readSeq ?? 0, this.due.get(friendId) ?? 0);
    if (seq <= known) return;
    if (store) {
      store.set((s) => receiptsMoved(s, { readSeq: seq }));
      const s = store.get();
      list.set((l) => listReadByMe(l, friendId, seq, seq >= newestSeq(s) ? 0 : unreadAbove(s, seq)));
    } else {
      list.set((l) => listReadByMe(l, friendId, seq));
    }
    this.queue(friendId, seq);
  }

  /** Reports `seq` (again) with the next batch. */
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
