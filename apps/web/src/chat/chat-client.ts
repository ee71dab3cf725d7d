import { newClientMsgId } from '../protocol/client-msg-id';
import { ChatConnection, ConnectionState, SocketLike } from '../protocol/connection';
import {
  decodeFrame,
  encodeRead,
  encodeSend,
  encodeTyping,
  READ_CODES,
  RETRYABLE_CODES,
  ServerFrame,
  TYPING_EXPIRES_MS,
  V2_PROTOCOL,
  WireMessage,
} from '../protocol/frames';
import { HttpApi, UploadedImage, UploadProgress } from '../protocol/http-api';
import { DEFAULT_OFFSET_MINUTES, offsetFrom } from '../protocol/server-clock';
import {
  ConversationListState,
  initialList,
  listLoaded,
  listMessage,
  listPageAppended,
  listReadByFriend,
  listReadByMe,
} from '../store/conversation-list.state';
import {
  addPending,
  applyAck,
  ConversationState,
  friendTyping,
  initialConversation,
  markFailed,
  markSending,
  mergeServerMessages,
  catchUpFrom,
  newestSeq,
  oldestId,
  receiptsMoved,
  removePending,
  unreadAbove,
} from '../store/conversation.state';
import { Store } from '../store/store';
import { KeyValueStorage, Outbox, OutboxEntry } from './outbox';
import type { Session } from './session';

/** Messages that came for a conversation other than the open one, since this tab started. */
export interface Notice {
  friendId: number;
  name: string;
  count: number;
}

export interface ClientState {
  connection: ConnectionState;
  openFriendId: number | null;
  notices: Notice[];
  /** The server zone's offset from UTC (its times carry none): learned from acks. */
  serverOffsetMinutes: number;
  /** The last refusal that belongs to no message (shown once, then cleared by the view). */
  problem?: string;
}

export interface ChatClientOptions {
  api: HttpApi;
  session: Session;
  storage: KeyValueStorage | null;
  /** The socket's URL; the token goes as a subprotocol, so a browser's URL need not carry it. */
  socketUrl: (userId: number, token: string) => string;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  random?: () => number;
  now?: () => number;
}

const PAGE = 30;
const CATCH_UP_PAGE = 100;
// Bounds one catch-up: a client away for longer than this many messages reloads the newest.
const CATCH_UP_MAX_PAGES = 50;
const SETTLE_MS = 3000;
const LIST_PAGE = 20;
// Read positions go out at most this often per conversation (the newest one seen meanwhile).
const READ_EVERY_MS = 500;
// A `typing` frame at most this often per conversation: above the server's one a second (so none
// is dropped there), well below the 5 s the friend's indicator lasts.
const TYPING_EVERY_MS = 1500;

/**
 * The client's protocol logic in one place: one socket for the signed-in user, the
 * conversations it has open, the outbox. After every (re)connect it sends the outbox again
 * (same clientMsgId, so nothing is stored twice), then reads what it missed with `afterId`;
 * every message is kept once by id, whichever way it came.
 */
export class ChatClient {
  readonly state: Store<ClientState>;
  /** The conversation list (protocol v2): unread badges, last messages, read ticks. */
  readonly list: Store<ConversationListState>;
  private readonly conversations = new Map<number, Store<ConversationState>>();
  private readonly connection: ChatConnection;
  private readonly outbox: Outbox;
  // Frames sent on this socket and not answered yet. Today's error frames carry no clientMsgId;
  // the server answers one socket's frames in order, so an error answers the oldest of these.
  private inflight: string[] = [];
  private settleWaiters: (() => void)[] = [];
  private readonly catchUps = new Map<number, Promise<void>>();
  private readonly onOnline = () => this.connection.reconnectNow();
  // The user comes back to the tab: read the list again (cheap), in case a frame was missed.
  private readonly onFocus = () => {
    if (globalThis.document?.visibilityState !== 'hidden') void this.loadList();
  };
  private listLoad: Promise<void> | null = null;
  private listAgain = false;
  private readonly readsDue = new Map<number, number>();
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly typingSentAt = new Map<number, number>();
  private readonly incoming = new Set<(message: WireMessage, friendId: number) => void>();

  constructor(private readonly options: ChatClientOptions) {
    const { session, api } = options;
    this.outbox = new Outbox(options.storage, `chat.outbox.${session.userId}`);
    this.state = new Store<ClientState>({ connection: { status: 'stopped' }, openFriendId: null, notices: [], serverOffsetMinutes: DEFAULT_OFFSET_MINUTES });
    this.list = new Store(initialList(session.userId));
    this.connection = new ChatConnection({
      url: () => options.socketUrl(session.userId, session.token),
      // Asks for protocol v2 (a server without it answers frames as before) and carries the
      // token as a subprotocol value, out of the URL: out of access logs and console errors.
      // The server selects chat.v2 or nothing, never the token's protocol.
      protocols: ['chat.v2', `chat.token.${session.token}`],
      createSocket: options.createSocket,
      random: options.random,
      checkCredentials: () => api.tokenAccepted(session.token),
    });
    this.connection.onState((connection) => {
      if (connection.status !== 'open') this.dropInflight();
      this.state.set((s) => ({ ...s, connection }));
      if (connection.status === 'open') this.afterConnect();
    });
    this.connection.onFrame((raw) => this.onFrame(decodeFrame(raw)));
  }

  get me(): number {
    return this.options.session.userId;
  }

  start(): void {
    globalThis.addEventListener?.('online', this.onOnline);
    globalThis.addEventListener?.('focus', this.onFocus);
    globalThis.document?.addEventListener('visibilitychange', this.onFocus);
    this.connection.start();
    void this.loadList();
  }

  stop(): void {
    globalThis.removeEventListener?.('online', this.onOnline);
    globalThis.removeEventListener?.('focus', this.onFocus);
    globalThis.document?.removeEventListener('visibilitychange', this.onFocus);
    if (this.readTimer) clearTimeout(this.readTimer);
    this.readTimer = null;
    this.connection.stop();
  }

  /** Whether the server selected protocol v2 for this socket (receipts, typing). */
  get v2(): boolean {
    const c = this.connection.state;
    return c.status === 'open' && c.protocol === V2_PROTOCOL;
  }

  get now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * The first page of the conversation list, read again (after a connect, on focus, when a
   * change could not be counted locally). One request at a time; a call meanwhile reads once more.
   */
  loadList(): Promise<void> {
    if (this.listLoad) {
      this.listAgain = true;
      return this.listLoad;
    }
    const run = async () => {
      do {
        this.listAgain = false;
        this.list.set((l) => (l.status === 'loaded' ? l : { ...l, status: 'loading' }));
        try {
          const page = await this.options.api.conversations(this.options.session.token, { limit: LIST_PAGE });
          this.list.set((l) => listLoaded(l, page));
          // A read of this tab's the server does not have (lost with a socket, or refused over
          // HTTP while it was away): reported again. Reads are monotonic, so a repeat is harmless.
          for (const c of page.list) {
            const local = this.list.get().items.find((x) => x.friendId === c.friendId);
            if (local && local.readSeq > c.readSeq) this.queueRead(c.friendId, local.readSeq);
          }
        } catch (e) {
          this.list.set((l) => ({ ...l, status: l.status === 'loaded' ? 'loaded' : 'error', error: reason(e) }));
        }
      } while (this.listAgain);
    };
    this.listLoad = run().finally(() => (this.listLoad = null));
    return this.listLoad;
  }

  /** The next page of the list (`cursor`). */
  async loadMoreConversations(): Promise<void> {
    const l = this.list.get();
    if (!l.nextCursor || l.loadingMore) return;
    this.list.set((x) => ({ ...x, loadingMore: true }));
    try {
      const page = await this.options.api.conversations(this.options.session.token, { limit: LIST_PAGE, cursor: l.nextCursor });
      this.list.set((x) => listPageAppended(x, page));
    } catch (e) {
      this.list.set((x) => ({ ...x, loadingMore: false, error: reason(e) }));
    }
  }

  /**
   * The friend's messages up to `seq` came into view: reported (a `read` frame, or mark_Read.do
   * while the socket is away), at most every READ_EVERY_MS per conversation, the newest only.
   * The badge and the open conversation move at once.
   */
  markSeen(friendId: number, seq: number): void {
    const store = this.conversations.get(friendId);
    const known = Math.max(store?.get().readSeq ?? 0, this.list.get().items.find((c) => c.friendId === friendId)?.readSeq ?? 0, this.readsDue.get(friendId) ?? 0);
    if (seq <= known) return;
    if (store) {
      store.set((s) => receiptsMoved(s, { readSeq: seq }));
      const s = store.get();
      this.list.set((l) => listReadByMe(l, friendId, seq, seq >= newestSeq(s) ? 0 : unreadAbove(s, seq)));
    } else {
      this.list.set((l) => listReadByMe(l, friendId, seq));
    }
    this.queueRead(friendId, seq);
  }

  private queueRead(friendId: number, seq: number): void {
    this.readsDue.set(friendId, Math.max(seq, this.readsDue.get(friendId) ?? 0));
    this.readTimer ??= setTimeout(() => this.flushReads(), READ_EVERY_MS);
  }

  /** The user types to `friendId`: a `typing` frame, at most every TYPING_EVERY_MS. */
  typing(friendId: number): void {
    if (!this.v2) return;
    const last = this.typingSentAt.get(friendId);
    if (last !== undefined && this.now - last < TYPING_EVERY_MS) return;
    if (this.connection.send(encodeTyping(friendId))) this.typingSentAt.set(friendId, this.now);
  }

  reconnectNow(): void {
    this.connection.reconnectNow();
  }

  conversation(friendId: number): Store<ConversationState> | undefined {
    return this.conversations.get(friendId);
  }

  /** Opens (or returns to) the conversation with `friendId`. */
  open(friendId: number, friendName?: string): Store<ConversationState> {
    let store = this.conversations.get(friendId);
    if (!store) {
      const listed = this.list.get().items.find((c) => c.friendId === friendId);
      let state = initialConversation(this.me, friendId, friendName ?? listed?.friendName ?? this.noticeFor(friendId)?.name);
      if (listed) state = receiptsMoved(state, { readSeq: listed.readSeq, friendReadSeq: listed.friendReadSeq });
      for (const e of this.outbox.forFriend(friendId)) {
        state = addPending(state, { clientMsgId: e.clientMsgId, text: e.text, sender: this.myName });
        if (e.failed) state = markFailed(state, e.clientMsgId, e.failed.reason, e.failed.retryable);
      }
      store = new Store(state);
      this.conversations.set(friendId, store);
      void this.loadNewest(friendId);
    } else {
      void this.refresh(friendId);
    }
    this.state.set((s) => ({ ...s, openFriendId: friendId, notices: s.notices.filter((n) => n.friendId !== friendId) }));
    return store;
  }

  closeConversation(): void {
    this.state.set((s) => ({ ...s, openFriendId: null }));
  }

  send(text: string): void {
    const to = this.state.get().openFriendId;
    const store = to === null ? undefined : this.conversations.get(to);
    if (to === null || !store || !text.trim()) return;
    const entry: OutboxEntry = { clientMsgId: newClientMsgId(), to, text };
    this.outbox.add(entry);
    store.set((s) => addPending(s, { clientMsgId: entry.clientMsgId, text, sender: this.myName }));
    this.transmit(entry);
  }

  retry(clientMsgId: string): void {
    const entry = this.outbox.retry(clientMsgId);
    if (!entry) return;
    this.conversations.get(entry.to)?.set((s) => markSending(s, clientMsgId));
    this.transmit(entry);
  }

  discard(clientMsgId: string): void {
    const entry = this.outbox.get(clientMsgId);
    if (!entry) return;
    this.outbox.remove(clientMsgId);
    this.conversations.get(entry.to)?.set((s) => removePending(s, clientMsgId));
  }

  async loadOlder(friendId: number): Promise<void> {
    const store = this.conversations.get(friendId);
    const s = store?.get();
    if (!store || !s || !s.hasOlder || s.loadingOlder) return;
    const beforeId = oldestId(s);
    if (beforeId === undefined) return;
    store.set((c) => ({ ...c, loadingOlder: true }));
    try {
      const slice = await this.options.api.history(this.options.session.token, friendId, { beforeId, limit: PAGE });
      store.set((c) => ({ ...mergeServerMessages(c, slice.list), hasOlder: slice.hasMore, loadingOlder: false }));
    } catch (e) {
      store.set((c) => ({ ...c, loadingOlder: false, error: reason(e) }));
    }
  }

  upload(file: File, progress?: UploadProgress): Promise<UploadedImage> {
    return this.options.api.upload(this.options.session.token, file, file.name || 'image', progress);
  }

  /** A friend's message as it comes from the socket (not history), for alerts; returns the unsubscribe. */
  onIncoming(listener: (message: WireMessage, friendId: number) => void): () => void {
    this.incoming.add(listener);
    return () => this.incoming.delete(listener);
  }

  clearProblem(): void {
    this.state.set((s) => (s.problem === undefined ? s : { ...s, problem: undefined }));
  }

  private get myName(): string {
    return this.options.session.name ?? `User ${this.me}`;
  }

  private noticeFor(friendId: number): Notice | undefined {
    return this.state.get().notices.find((n) => n.friendId === friendId);
  }

  private transmit(entry: OutboxEntry): void {
    if (this.connection.send(encodeSend(entry))) this.inflight.push(entry.clientMsgId);
    // Not open: the entry waits in the outbox for the next connect.
  }

  private afterConnect(): void {
    for (const entry of this.outbox.toSend()) {
      this.conversations.get(entry.to)?.set((s) => markSending(s, entry.clientMsgId));
      this.transmit(entry);
    }
    // Catch up once the resent frames are acked: an ack then finds its message still pending
    // rather than already read back by the catch-up (which would show it twice for a moment).
    void this.settled(SETTLE_MS).then(() => {
      void this.loadList();
      for (const friendId of this.conversations.keys()) void this.refresh(friendId);
    });
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.kind) {
      case 'message':
        return this.onMessage(frame);
      case 'ack': {
        this.answered(frame.clientMsgId);
        const offset = offsetFrom(frame.time, this.now);
        if (offset !== null) this.state.set((s) => (s.serverOffsetMinutes === offset ? s : { ...s, serverOffsetMinutes: offset }));
        const entry = this.outbox.get(frame.clientMsgId);
        if (!entry) return;
        this.outbox.remove(frame.clientMsgId);
        this.conversations.get(entry.to)?.set((s) => applyAck(s, frame));
        if (frame.seq !== undefined) {
          const seq = frame.seq;
          this.list.set((l) => listMessage(l, { id: frame.id, seq, senderId: this.me, to: entry.to, sender: this.myName, text: entry.text, time: frame.time }, this.conversations.get(entry.to)?.get().friendName));
        }
        return;
      }
      case 'error': {
        // A v2 server names the message an error answers; an error without one answers a typed
        // frame (a read past the end: the list is read again). An older server names none and
        // answers one socket's frames in order: the oldest unanswered send.
        if (frame.clientMsgId === undefined && (this.v2 || (frame.code !== undefined && READ_CODES.has(frame.code)))) {
          if (frame.code !== undefined && READ_CODES.has(frame.code)) void this.loadList();
          else this.state.set((s) => ({ ...s, problem: frame.reason }));
          return;
        }
        const clientMsgId = frame.clientMsgId ?? this.inflight[0];
        if (clientMsgId === undefined) {
          this.state.set((s) => ({ ...s, problem: frame.reason }));
          return;
        }
        this.answered(clientMsgId);
        const entry = this.outbox.get(clientMsgId);
        if (!entry) return;
        const retryable = frame.code === undefined || RETRYABLE_CODES.has(frame.code);
        this.outbox.fail(clientMsgId, frame.reason, retryable);
        this.conversations.get(entry.to)?.set((s) => markFailed(s, clientMsgId, frame.reason, retryable));
        return;
      }
      case 'read':
        return this.onRead(frame.friendId, frame.by, frame.seq);
      case 'delivered':
        this.conversations.get(frame.friendId)?.set((s) => receiptsMoved(s, { deliveredSeq: frame.seq }));
        return;
      case 'typing':
        this.conversations.get(frame.friendId)?.set((s) => friendTyping(s, this.now, TYPING_EXPIRES_MS));
        return;
      case 'typed': // a newer server's frame
      case 'unknown':
        return;
    }
  }

  private onRead(friendId: number, by: number, seq: number): void {
    const store = this.conversations.get(friendId);
    if (by === this.me) {
      // Another tab of this user read it: clear the badge (exactly, when this tab holds the messages).
      const s = store?.get();
      store?.set((c) => receiptsMoved(c, { readSeq: seq }));
      this.list.set((l) => listReadByMe(l, friendId, seq, s && s.history === 'loaded' ? (seq >= newestSeq(s) ? 0 : unreadAbove(s, seq)) : undefined));
      if (this.list.get().stale) void this.loadList();
      this.state.set((st) => ({ ...st, notices: st.notices.filter((n) => n.friendId !== friendId) }));
    } else {
      store?.set((c) => receiptsMoved(c, { friendReadSeq: seq }));
      this.list.set((l) => listReadByFriend(l, friendId, seq));
    }
  }

  private flushReads(): void {
    this.readTimer = null;
    const due = [...this.readsDue];
    this.readsDue.clear();
    for (const [friendId, seq] of due) {
      if (this.v2 && this.connection.send(encodeRead(friendId, seq))) continue;
      // No v2 socket now: over HTTP (it reaches the friend and the other tabs the same way).
      // One that does not get through is reported again after the next read of the list.
      this.options.api.markRead(this.options.session.token, friendId, seq).catch(() => undefined);
    }
  }

  private onMessage(message: WireMessage): void {
    if (message.senderId === undefined || message.to === undefined) return;
    const mine = message.senderId === this.me;
    const friendId = mine ? message.to : message.senderId;
    this.conversations.get(friendId)?.set((s) => {
      const merged = mergeServerMessages(s, [message]);
      // The friend sent what they were typing.
      return mine || merged.typingUntil === undefined ? merged : { ...merged, typingUntil: undefined };
    });
    if (message.id !== undefined && message.seq !== undefined) {
      const { id, seq } = message;
      const before = this.list.get();
      this.list.set((l) => listMessage(l, { ...message, id, seq, senderId: message.senderId!, to: message.to! }));
      // A conversation the list did not have yet: the server has its name and picture.
      if (!before.items.some((c) => c.friendId === friendId)) void this.loadList();
    }
    if (!mine) for (const l of [...this.incoming]) l(message, friendId);
    if (mine || this.state.get().openFriendId === friendId) return;
    this.state.set((s) => {
      const old = s.notices.find((n) => n.friendId === friendId);
      const notice: Notice = { friendId, name: message.sender, count: (old?.count ?? 0) + 1 };
      return { ...s, notices: [notice, ...s.notices.filter((n) => n.friendId !== friendId)] };
    });
  }

  private async loadNewest(friendId: number): Promise<void> {
    const store = this.conversations.get(friendId);
    if (!store) return;
    store.set((s) => ({ ...s, history: 'loading' }));
    try {
      const slice = await this.options.api.history(this.options.session.token, friendId, { limit: PAGE });
      store.set((s) => ({ ...mergeServerMessages(s, slice.list), history: 'loaded', hasOlder: slice.hasMore, error: undefined }));
    } catch (e) {
      store.set((s) => ({ ...s, history: 'error', error: reason(e) }));
    }
  }

  /** What the conversation missed: its first page if that never came, else everything after its newest message. */
  private refresh(friendId: number): Promise<void> {
    const running = this.catchUps.get(friendId);
    if (running) return running;
    const run = (async () => {
      const store = this.conversations.get(friendId);
      if (!store) return;
      if (store.get().history !== 'loaded') return this.loadNewest(friendId);
      let afterId = catchUpFrom(store.get());
      try {
        for (let page = 0; page < CATCH_UP_MAX_PAGES; page++) {
          const slice = await this.options.api.history(this.options.session.token, friendId, { afterId, limit: CATCH_UP_PAGE });
          store.set((s) => mergeServerMessages(s, slice.list));
          const next = slice.nextAfterId ?? catchUpFrom(store.get());
          if (!slice.hasMore || !slice.list.length || next === afterId) break;
          afterId = next;
        }
      } catch (e) {
        store.set((s) => ({ ...s, error: reason(e) }));
      }
    })().finally(() => this.catchUps.delete(friendId));
    this.catchUps.set(friendId, run);
    return run;
  }

  private answered(clientMsgId: string): void {
    this.inflight = this.inflight.filter((id) => id !== clientMsgId);
    if (!this.inflight.length) this.releaseSettled();
  }

  private dropInflight(): void {
    this.inflight = [];
    this.releaseSettled();
  }

  private releaseSettled(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }

  private settled(timeoutMs: number): Promise<void> {
    if (!this.inflight.length) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.settleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
