import { READ_CODES, ServerFrame, TYPING_EXPIRES_MS, WireMessage } from '../protocol/frames';
import { offsetFrom } from '../protocol/server-clock';
import { listMessage, listReadByFriend, listReadByMe } from '../store/conversation-list.state';
import { friendTyping, mergeServerMessages, newestSeq, receiptsMoved, unreadAbove } from '../store/conversation.state';
import type { ClientContext, Notice } from './client-context';
import type { OutboxSender } from './outbox-sender';

export type IncomingListener = (message: WireMessage, friendId: number) => void;

/** Turns each frame from the server into changes of the stores (and of the outbox, through the sender). */
export class FrameRouter {
  private readonly incoming = new Set<IncomingListener>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly sender: Pick<OutboxSender, 'acked' | 'refused'>,
    /** Reads the list again (it could not be counted locally). */
    private readonly reloadList: () => void,
  ) {}

  /** A friend's message as it comes from the socket (not history), for alerts; returns the unsubscribe. */
  onIncoming(listener: IncomingListener): () => void {
    this.incoming.add(listener);
    return () => this.incoming.delete(listener);
  }

  route(frame: ServerFrame): void {
    const { conversations, state } = this.ctx;
    switch (frame.kind) {
      case 'message':
        return this.onMessage(frame);
      case 'ack': {
        const offset = offsetFrom(frame.time, this.ctx.now());
        if (offset !== null) state.set((s) => (s.serverOffsetMinutes === offset ? s : { ...s, serverOffsetMinutes: offset }));
        return this.sender.acked(frame);
      }
      case 'error': {
        // A v2 server names the message an error answers; an error without one answers a typed
        // frame (a read past the end: the list is read again). An older server names none and
        // answers one socket's frames in order: the oldest unanswered send.
        const readCode = frame.code !== undefined && READ_CODES.has(frame.code);
        if (frame.clientMsgId === undefined && (this.ctx.v2() || readCode)) {
          if (readCode) this.reloadList();
          else state.set((s) => ({ ...s, problem: frame.reason }));
          return;
        }
        if (!this.sender.refused(frame)) state.set((s) => ({ ...s, problem: frame.reason }));
        return;
      }
      case 'read':
        return this.onRead(frame.friendId, frame.by, frame.seq);
      case 'delivered':
        conversations.get(frame.friendId)?.set((s) => receiptsMoved(s, { deliveredSeq: frame.seq }));
        return;
      case 'typing':
        conversations.get(frame.friendId)?.set((s) => friendTyping(s, this.ctx.now(), TYPING_EXPIRES_MS));
        return;
      case 'typed': // a newer server's frame
      case 'unknown':
        return;
    }
  }

  private onRead(friendId: number, by: number, seq: number): void {
    const { list, state } = this.ctx;
    const store = this.ctx.conversations.get(friendId);
    if (by === this.ctx.me) {
      // Another tab of this user read it: clear the badge (exactly, when this tab holds the messages).
      const s = store?.get();
      store?.set((c) => receiptsMoved(c, { readSeq: seq }));
      list.set((l) => listReadByMe(l, friendId, seq, s && s.history === 'loaded' ? (seq >= newestSeq(s) ? 0 : unreadAbove(s, seq)) : undefined));
      if (list.get().stale) this.reloadList();
      state.set((st) => ({ ...st, notices: st.notices.filter((n) => n.friendId !== friendId) }));
    } else {
      store?.set((c) => receiptsMoved(c, { friendReadSeq: seq }));
      list.set((l) => listReadByFriend(l, friendId, seq));
    }
  }

  private onMessage(message: WireMessage): void {
    if (message.senderId === undefined || message.to === undefined) return;
    const { list, state } = this.ctx;
    const mine = message.senderId === this.ctx.me;
    const friendId = mine ? message.to : message.senderId;
    this.ctx.conversations.get(friendId)?.set((s) => {
      const merged = mergeServerMessages(s, [message]);
      // The friend sent what they were typing.
      return mine || merged.typingUntil === undefined ? merged : { ...merged, typingUntil: undefined };
    });
    if (message.id !== undefined && message.seq !== undefined) {
      const { id, seq } = message;
      const before = list.get();
      list.set((l) => listMessage(l, { ...message, id, seq, senderId: message.senderId!, to: message.to! }));
      // A conversation the list did not have yet: the server has its name and picture.
      if (!before.items.some((c) => c.friendId === friendId)) this.reloadList();
    }
    if (!mine) for (const l of [...this.incoming]) l(message, friendId);
    if (mine || state.get().openFriendId === friendId) return;
    state.set((s) => {
      const old = s.notices.find((n) => n.friendId === friendId);
      const notice: Notice = { friendId, name: message.sender, count: (old?.count ?? 0) + 1 };
      return { ...s, notices: [notice, ...s.notices.filter((n) => n.friendId !== friendId)] };
    });
  }
}
