import { newClientMsgId } from '../protocol/client-msg-id';
import { encodeSend, RETRYABLE_CODES } from '../protocol/frames';
import { listMessage } from '../store/conversation-list.state';
import { addPending, applyAck, ConversationState, markFailed, markSending, removePending } from '../store/conversation.state';
import type { ClientContext } from './client-context';
import { KeyValueStorage, Outbox, OutboxEntry } from './outbox';

/**
 * The user's sends: kept in the outbox until acked, sent again after every connect with the same
 * clientMsgId, answered by acks and error frames. Knows which sends this socket has not had an
 * answer for yet, so the caller can wait for them to settle.
 */
export class OutboxSender {
  private readonly outbox: Outbox;
  // Frames sent on this socket and not answered yet. An older server's error frames carry no
  // clientMsgId and answer one socket's frames in order: such an error answers the oldest of these.
  private inflight: string[] = [];
  private settleWaiters: (() => void)[] = [];

  constructor(
    private readonly ctx: Pick<ClientContext, 'conversations' | 'list' | 'send' | 'me' | 'myName'>,
    storage: KeyValueStorage | null,
  ) {
    this.outbox = new Outbox(storage, `chat.outbox.${ctx.me}`);
  }

  /** The pending and failed sends to `friendId`, for a conversation opened now. */
  withPending(state: ConversationState, friendId: number): ConversationState {
    for (const e of this.outbox.forFriend(friendId)) {
      state = addPending(state, { clientMsgId: e.clientMsgId, text: e.text, sender: this.ctx.myName });
      if (e.failed) state = markFailed(state, e.clientMsgId, e.failed.reason, e.failed.retryable);
    }
    return state;
  }

  send(to: number, text: string): void {
    const store = this.ctx.conversations.get(to);
    if (!store) return;
    const entry: OutboxEntry = { clientMsgId: newClientMsgId(), to, text };
    this.outbox.add(entry);
    store.set((s) => addPending(s, { clientMsgId: entry.clientMsgId, text, sender: this.ctx.myName }));
    this.transmit(entry);
  }

  retry(clientMsgId: string): void {
    const entry = this.outbox.retry(clientMsgId);
    if (!entry) return;
    this.ctx.conversations.get(entry.to)?.set((s) => markSending(s, clientMsgId));
    this.transmit(entry);
  }

  discard(clientMsgId: string): void {
    const entry = this.outbox.get(clientMsgId);
    if (!entry) return;
    this.outbox.remove(clientMsgId);
    this.ctx.conversations.get(entry.to)?.set((s) => removePending(s, clientMsgId));
  }

  /** A socket opened: everything not failed goes out again, same clientMsgId. */
  resend(): void {
    for (const entry of this.outbox.toSend()) {
      this.ctx.conversations.get(entry.to)?.set((s) => markSending(s, entry.clientMsgId));
      this.transmit(entry);
    }
  }

  acked(frame: { clientMsgId: string; id: number; time: string; seq?: number }): void {
    this.answered(frame.clientMsgId);
    const entry = this.outbox.get(frame.clientMsgId);
    if (!entry) return;
    this.outbox.remove(frame.clientMsgId);
    this.ctx.conversations.get(entry.to)?.set((s) => applyAck(s, frame));
    if (frame.seq !== undefined) {
      const seq = frame.seq;
      this.ctx.list.set((l) => listMessage(l, { id: frame.id, seq, senderId: this.ctx.me, to: entry.to, sender: this.ctx.myName, text: entry.text, time: frame.time }, this.ctx.conversations.get(entry.to)?.get().friendName));
    }
  }

  /**
   * An error frame for a send: the one it names, else (an older server) the oldest unanswered.
   * False when there is none to match (the refusal belongs to no message).
   */
  refused(frame: { reason: string; code?: string; clientMsgId?: string }): boolean {
    const clientMsgId = frame.clientMsgId ?? this.inflight[0];
    if (clientMsgId === undefined) return false;
    this.answered(clientMsgId);
    const entry = this.outbox.get(clientMsgId);
    if (!entry) return true;
    const retryable = frame.code === undefined || RETRYABLE_CODES.has(frame.code);
    this.outbox.fail(clientMsgId, frame.reason, retryable);
    this.ctx.conversations.get(entry.to)?.set((s) => markFailed(s, clientMsgId, frame.reason, retryable));
    return true;
  }

  /** The socket closed: nothing on it will be answered. */
  dropInflight(): void {
    this.inflight = [];
    this.releaseSettled();
  }

  /** Resolves once every send on this socket is answered, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (!this.inflight.length) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.settleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private transmit(entry: OutboxEntry): void {
    if (this.ctx.send(encodeSend(entry))) this.inflight.push(entry.clientMsgId);
    // Not open: the entry waits in the outbox for the next connect.
  }

  private answered(clientMsgId: string): void {
    this.inflight = this.inflight.filter((id) => id !== clientMsgId);
    if (!this.inflight.length) this.releaseSettled();
  }

  private releaseSettled(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }
}
