import { BackoffOptions, DEFAULT_BACKOFF, reconnectDelay } from './backoff';

// One chat socket that comes back by itself: exponential backoff with jitter between attempts,
// at once when the browser says it is online again. It knows frames only as strings; decoding
// and what to do after a reconnect (resend, catch up) are the caller's.

export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open'; protocol: string }
  | { status: 'waiting'; attempt: number; retryAt: number }
  /** The server no longer takes the token: reconnecting cannot help. */
  | { status: 'refused' }
  | { status: 'stopped' };

/** What the connection needs of a WebSocket (the browser's, or a fake in unit specs). */
export interface SocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: Event) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export interface ConnectionOptions {
  url: () => string;
  /** Offered at the upgrade (protocol v2 is asked for with `chat.v2`). */
  protocols?: string[];
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Asked after an attempt that never opened: false means the token is refused. */
  checkCredentials?: () => Promise<boolean>;
  /** A socket open this long counts as a success: the next loss starts the backoff afresh. */
  stableAfterMs?: number;
}

type Listener<T> = (value: T) => void;

export class ChatConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private openedAt = 0;
  private current: ConnectionState = { status: 'stopped' };
  private readonly frameListeners = new Set<Listener<string>>();
  private readonly stateListeners = new Set<Listener<ConnectionState>>();

  constructor(private readonly options: ConnectionOptions) {}

  get state(): ConnectionState {
    return this.current;
  }

  onFrame(listener: Listener<string>): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onState(listener: Listener<ConnectionState>): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  start(): void {
    if (this.current.status !== 'stopped' && this.current.status !== 'refused') return;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.clearTimer();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      socket.close(1000, 'signed out');
    }
    this.setState({ status: 'stopped' });
  }

  /** Skips the wait (the browser came back online, or the user asked). */
  reconnectNow(): void {
    if (this.current.status !== 'waiting') return;
    this.clearTimer();
    this.connect();
  }

  /** Sends a frame if the socket is open; false otherwise (the caller keeps it for later). */
  send(data: string): boolean {
    if (!this.socket || this.socket.readyState !== OPEN || this.current.status !== 'open') return false;
    this.socket.send(data);
    return true;
  }

  private connect(): void {
    this.attempt += 1;
    this.setState({ status: 'connecting', attempt: this.attempt });
    const create = this.options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols) as SocketLike);
    let socket: SocketLike;
    try {
      socket = create(this.options.url(), this.options.protocols ?? []);
    } catch {
      this.scheduleRetry(false);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.openedAt = Date.now();
      this.setState({ status: 'open', protocol: socket.protocol });
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      for (const l of this.frameListeners) l(ev.data);
    };
    socket.onerror = () => undefined; // a close event always follows
    socket.onclose = () => {
      detach(socket);
      if (this.socket !== socket) return;
      this.socket = null;
      if (opened && Date.now() - this.openedAt >= (this.options.stableAfterMs ?? 5000)) this.attempt = 0;
      this.scheduleRetry(opened);
    };
  }

  private scheduleRetry(hadOpened: boolean): void {
    const attempt = Math.max(1, this.attempt);
    const delay = reconnectDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.setState({ status: 'waiting', attempt, retryAt: Date.now() + delay });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
    if (!hadOpened && this.options.checkCredentials) {
      // An upgrade refused with 401 looks like any failed connect from a browser: ask over HTTP.
      this.options.checkCredentials().then(
        (accepted) => {
          if (!accepted && this.current.status === 'waiting') {
            this.clearTimer();
            this.setState({ status: 'refused' });
          }
        },
        () => undefined, // the server is away: keep trying
      );
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    for (const l of this.stateListeners) l(state);
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}
