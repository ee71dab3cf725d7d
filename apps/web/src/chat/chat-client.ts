import { ChatConnection, SocketLike } from '../protocol/connection';
import { decodeFrame, TOKEN_PROTOCOL_PREFIX, V2_PROTOCOL, WireMessage } from '../protocol/frames';
import { HttpApi, UploadedImage, UploadProgress } from '../protocol/http-api';
import { DEFAULT_OFFSET_MINUTES } from '../protocol/server-clock';
import { ConversationListState, initialList } from '../store/conversation-list.state';
import type { ConversationState } from '../store/conversation.state';
import { Store } from '../store/store';
import type { ClientContext, ClientState } from './client-context';
import { ConversationLoader } from './conversation-loader';
import { FrameRouter } from './frame-router';
import { ListLoader } from './list-loader';
import type { KeyValueStorage } from './outbox';
import { OutboxSender } from './outbox-sender';
import { ReadReporter } from './read-reporter';
import type { Session } from './session';
import { TypingThrottle } from './typing-throttle';

export type { ClientState, Notice } from './client-context';

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

// After a connect, the catch-up waits this long at most for the resent frames to be answered.
const SETTLE_MS = 3000;

/**
 * The client's protocol logic behind one face: one socket for the signed-in user, the
 * conversations it has open, the outbox. After every (re)connect it sends the outbox again
 * (same clientMsgId, so nothing is stored twice), then reads what it missed with `afterId`;
 * every message is kept once by id, whichever way it came. Each job is a part of its own.
 */
export class ChatClient {
  readonly state: Store<ClientState>;
  /** The conversation list (protocol v2): unread badges, last messages, read ticks. */
  readonly list: Store<ConversationListState>;
  private readonly ctx: ClientContext;
  private readonly connection: ChatConnection;
  private readonly sender: OutboxSender;
  private readonly reads: ReadReporter;
  private readonly lists: ListLoader;
  private readonly loader: ConversationLoader;
  private readonly typist: TypingThrottle;
  private readonly router: FrameRouter;
  private readonly onOnline = () => this.connection.reconnectNow();
  // The user comes back to the tab: read the list again (cheap), in case a frame was missed.
  private readonly onFocus = () => {
    if (globalThis.document?.visibilityState !== 'hidden') void this.loadList();
  };

  constructor(private readonly options: ChatClientOptions) {
    const { session, api } = options;
    this.state = new Store<ClientState>({ connection: { status: 'stopped' }, openFriendId: null, notices: [], serverOffsetMinutes: DEFAULT_OFFSET_MINUTES });
    this.list = new Store(initialList(session.userId));
    this.connection = new ChatConnection({
      url: () => options.socketUrl(session.userId, session.token),
      // Asks for protocol v2 (a server without it answers frames as before) and carries the
      // token as a subprotocol value, out of the URL: out of access logs and console errors.
      // The server selects chat.v2 or nothing, never the token's protocol.
      protocols: [V2_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${session.token}`],
      createSocket: options.createSocket,
      random: options.random,
      checkCredentials: () => api.tokenAccepted(session.token),
    });
    this.ctx = {
      api,
      state: this.state,
      list: this.list,
      conversations: new Map(),
      me: session.userId,
      myName: session.name ?? `User ${session.userId}`,
      token: () => session.token,
      now: () => this.now,
      v2: () => this.v2,
      send: (raw) => this.connection.send(raw),
    };
    this.sender = new OutboxSender(this.ctx, options.storage);
    this.reads = new ReadReporter(this.ctx);
    this.lists = new ListLoader(this.ctx, (friendId, seq) => this.reads.queue(friendId, seq));
    this.loader = new ConversationLoader(this.ctx);
    this.typist = new TypingThrottle(this.ctx);
    this.router = new FrameRouter(this.ctx, this.sender, () => void this.loadList());
    this.connection.onState((connection) => {
      if (connection.status !== 'open') this.sender.dropInflight();
      this.state.set((s) => ({ ...s, connection }));
      if (connection.status === 'open') this.afterConnect();
    });
    this.connection.onFrame((raw) => this.router.route(decodeFrame(raw)));
  }

  get me(): number {
    return this.ctx.me;
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
    this.reads.stop();
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

  /** The first page of the conversation list, read again (ListLoader.load). */
  loadList(): Promise<void> {
    return this.lists.load();
  }

  /** The next page of the list (`cursor`). */
  loadMoreConversations(): Promise<void> {
    return this.lists.loadMore();
  }

  /** The friend's messages up to `seq` came into view (ReadReporter.seen). */
  markSeen(friendId: number, seq: number): void {
    this.reads.seen(friendId, seq);
  }

  /** The user types to `friendId`: a `typing` frame, at most every TYPING_EVERY_MS. */
  typing(friendId: number): void {
    this.typist.typing(friendId);
  }

  reconnectNow(): void {
    this.connection.reconnectNow();
  }

  conversation(friendId: number): Store<ConversationState> | undefined {
    return this.ctx.conversations.get(friendId);
  }

  /** Opens (or returns to) the conversation with `friendId`. */
  open(friendId: number, friendName?: string): Store<ConversationState> {
    const store = this.loader.open(friendId, friendName, (s) => this.sender.withPending(s, friendId));
    this.state.set((s) => ({ ...s, openFriendId: friendId, notices: s.notices.filter((n) => n.friendId !== friendId) }));
    return store;
  }

  closeConversation(): void {
    this.state.set((s) => ({ ...s, openFriendId: null }));
  }

  send(text: string): void {
    const to = this.state.get().openFriendId;
    if (to !== null && text.trim()) this.sender.send(to, text);
  }

  retry(clientMsgId: string): void {
    this.sender.retry(clientMsgId);
  }

  discard(clientMsgId: string): void {
    this.sender.discard(clientMsgId);
  }

  loadOlder(friendId: number): Promise<void> {
    return this.loader.loadOlder(friendId);
  }

  upload(file: File, progress?: UploadProgress): Promise<UploadedImage> {
    return this.options.api.upload(this.ctx.token(), file, file.name || 'image', progress);
  }

  /** A friend's message as it comes from the socket (not history), for alerts; returns the unsubscribe. */
  onIncoming(listener: (message: WireMessage, friendId: number) => void): () => void {
    return this.router.onIncoming(listener);
  }

  clearProblem(): void {
    this.state.set((s) => (s.problem === undefined ? s : { ...s, problem: undefined }));
  }

  private afterConnect(): void {
    this.sender.resend();
    // Catch up once the resent frames are acked: an ack then finds its message still pending
    // rather than already read back by the catch-up (which would show it twice for a moment).
    void this.sender.settled(SETTLE_MS).then(() => {
      void this.loadList();
      for (const friendId of this.ctx.conversations.keys()) void this.loader.refresh(friendId);
    });
  }
}
