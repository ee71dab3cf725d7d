import { encodeTyping } from '../protocol/frames';
import type { ClientContext } from './client-context';

// A `typing` frame at most this often per conversation: above the server's one a second (so none
// is dropped there), well below the 5 s the friend's indicator lasts.
export const TYPING_EVERY_MS = 1500;

/** The user's `typing` frames, at most one every TYPING_EVERY_MS per conversation, on v2 sockets only. */
export class TypingThrottle {
  private readonly sentAt = new Map<number, number>();

  constructor(private readonly ctx: Pick<ClientContext, 'v2' | 'send' | 'now'>) {}

  typing(friendId: number): void {
    if (!this.ctx.v2()) return;
    const last = this.sentAt.get(friendId);
    if (last !== undefined && this.ctx.now() - last < TYPING_EVERY_MS) return;
    if (this.ctx.send(encodeTyping(friendId))) this.sentAt.set(friendId, this.ctx.now());
  }
}
