import { newClientMsgId } from '../protocol/client-msg-id';
import { ChatConnection, ConnectionState, SocketLike } from '../protocol/connection';
import { decodeFrame, encodeSend, RETRYABLE_CODES, ServerFrame, WireMessage } from '../protocol/frames';
import { HttpApi, UploadedImage } from '../protocol/http-api';
import {
  addPending,
  applyAck,
  ConversationState,
  initialConversation,
  markFailed,
  markSending,
  mergeServerMessages,
  catchUpFrom,
  oldestId,
  removePending,
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
  /** The last refusal that belongs to no message (shown once, then cleared by the view). */
  problem?: string;
}

export interface ChatClientOptions {
  api: HttpApi;
  session: Session;
  storage: KeyValueStorage | null;
  socketUrl: (userId: number, token: string) => string;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  random?: () => number;
}

const PAGE = 30;
const CATCH_UP_PAGE = 100;
// Bounds one catch-up: a client away for longer than this many messages reloads the newest.
const CATCH_UP_MAX_PAGES = 50;
const SETTLE_MS = 3000;

/**
 * The client's protocol logic in one place: one socket for the signed-in user, the
 * conversations it has open, the outbox. After every (re)connect it sends the outbox again
 * (same clientMsgId, so nothing is stored twice), then reads what it missed with `afterId`;
 * every message is kept once by id, whichever way it came.
 */
export class ChatClient {
  readonly state: Store<ClientState>;
  private readonly conversations = new Map<number, Store<ConversationState>>();
  private readonly connection: ChatConnection;
  private readonly outbox: Outbox;
  // Frames sent on this socket and not answered yet. Today's error frames carry no clientMsgId;
  // the server answers one socket's frames in order, so an error answers the oldest of these.
  private inflight: string[] = [];
  private settleWaiters: (() => void)[] = [];
  private readonly catchUps = new Map<number, Promise<void>>();
  private readonly onOnline = () => this.connection.reconnectNow();

  constructor(private readonly options: ChatClientOptions) {
    const { session, api } = options;
    this.outbox = new Outbox(options.storage, `chat.outbox.${session.userId}`);
    this.state = new Store<ClientState>({ connection: { status: 'stopped' }, openFriendId: null, notices: [] });
    this.connection = new ChatConnection({
      url: () => options.socketUrl(session.userId, session.token),
      // Asks for protocol v2; a server without it answers frames as before.
      protocols: ['chat.v2'],
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
    this.connection.start();
  }

  stop(): void {
    globalThis.removeEventListener?.('online', this.onOnline);
    this.connection.stop();
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
      let state = initialConversation(this.me, friendId, friendName ?? this.noticeFor(friendId)?.name);
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

  upload(file: File): Promise<UploadedImage> {
    return this.options.api.upload(this.options.session.token, file, file.name || 'image');
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
      for (const friendId of this.conversations.keys()) void this.refresh(friendId);
    });
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.kind) {
      case 'message':
        return this.onMessage(frame);
      case 'ack': {
        this.answered(frame.clientMsgId);
        const entry = this.outbox.get(frame.clientMsgId);
        if (!entry) return;
        this.outbox.remove(frame.clientMsgId);
        this.conversations.get(entry.to)?.set((s) => applyAck(s, frame));
        return;
      }
      case 'error': {
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
      case 'typed': // protocol v2 (read, delivered, typing): not handled yet
      case 'unknown':
        return;
    }
  }

  private onMessage(message: WireMessage): void {
    if (message.senderId === undefined || message.to === undefined) return;
    const mine = message.senderId === this.me;
    const friendId = mine ? message.to : message.senderId;
    this.conversations.get(friendId)?.set((s) => mergeServerMessages(s, [message]));
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
