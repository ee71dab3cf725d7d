import WebSocket from 'ws';
import { sleep } from '../../test/support/wait';
import type { ConnectionWindow, LegacyRefusal, Receipt, SendRecord } from './checker';
import { Random } from './random';
import { SendLedger } from './send-ledger';

/** android: legacy, ids as numbers; ios: legacy, ids as strings, pretty-printed, heartbeats; modern: clientMsgId. */
export type DeviceKind = 'android' | 'ios' | 'modern';

export interface SoakUser {
  id: number;
  token: string;
  friends: number[];
  flooder: boolean;
  devices: Device[];
  /** When this user's recent frames went out (the client keeps itself under the rate limit). */
  sentAt: number[];
}

export interface DeviceOptions {
  id: number;
  user: SoakUser;
  kind: DeviceKind;
  /** Opts in to protocol v2 (`?v=2`): message frames with `seq`, error frames with `clientMsgId`. */
  v2: boolean;
  ledger: SendLedger;
  random: Random;
  ports: () => number[];
  /** The half-open proxies in front of the replicas, same order; used when `viaProxy`. */
  proxyPorts?: () => number[];
  /** Connects through the proxy in front of its replica (so a fault can make its link half-open). */
  viaProxy?: boolean;
  ackTimeoutMs: number;
  heartbeatText: string;
  /** Takes one frame from the user's budget; false when the user is at its own limit. */
  budget: () => boolean;
}

/** A clientMsgId send until it is acked or given up. */
interface ActiveSend {
  record: SendRecord;
  friend: number;
  /** The connection its last attempt went out on (0: not on the wire). */
  connection: number;
  inflight: boolean;
  timer?: NodeJS.Timeout;
}

const MAX_ATTEMPTS = 6;
const GIVE_UP = 0.1;
const HEARTBEAT_MS = 10_000;
const FLOOD_MAX_FRAMES = 20_000;

/**
 * One phone of one user: a real `ws` client that reconnects with backoff and jitter to a random
 * replica after any close, sends the way its app does, and records every frame it receives.
 *
 * A modern device keeps at most one send per friend outstanding, and after giving up on one it
 * sends nothing more to that friend on that connection: so today's error frames (which carry `to`
 * but no `clientMsgId`) are attributed to exactly one send.
 */
export class Device {
  readonly receipts: Receipt[] = [];
  /** Every connection that opened, with when it stopped being readable. */
  readonly windows: ConnectionWindow[] = [];
  /** Error frames seen by a legacy device (its only answers). */
  readonly legacyRefusals: LegacyRefusal[] = [];
  /** Which replica the current or last connection went to. */
  replicaIndex = 0;
  private pingFlooding = false;
  private ws?: WebSocket;
  private connections = 0;
  /** Number of the connection that is open now, 0 when none. */
  private openConnection = 0;
  private openedAt = 0;
  private wanted = true;
  private settling = false;
  private failures = 0;
  private nextDelay?: number;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private pausedWs?: WebSocket;
  private pauseTimer?: NodeJS.Timeout;
  private flooding = false;
  private clientMsgCounter = 0;
  private readonly active = new Map<number, ActiveSend>();
  private readonly byClientMsgId = new Map<string, ActiveSend>();
  /** Friends whose last send was given up on this connection: late error frames belong to it. */
  private readonly tainted = new Map<number, SendRecord>();
  lastCloseCode?: number;
  /** The replica port of the current or last connection. */
  private port = 0;

  constructor(private readonly o: DeviceOptions) {}

  get id(): number {
    return this.o.id;
  }

  get kind(): DeviceKind {
    return this.o.kind;
  }

  get user(): SoakUser {
    return this.o.user;
  }

  get isOpen(): boolean {
    return this.openConnection > 0 && this.ws?.readyState === WebSocket.OPEN;
  }

  get paused(): boolean {
    return this.pausedWs !== undefined;
  }

  get busy(): boolean {
    return this.paused || this.flooding || this.pingFlooding;
  }

  get v2(): boolean {
    return this.o.v2;
  }

  get viaProxy(): boolean {
    return this.o.viaProxy ?? false;
  }

  /** The client side port of the open socket (how a proxy tells its link). */
  get localPort(): number | undefined {
    return (this.ws as unknown as { _socket?: { localPort?: number } } | undefined)?._socket?.localPort;
  }

  /** The link went silent (half-open): nothing it is sent from now on can be read on this connection. */
  markUnreachable(): void {
    this.unreadable();
  }

  private now(): number {
    return Date.now() - this.o.ledger.t0;
  }

  private unreadable(): void {
    const w = this.windows.find((x) => x.connection === this.openConnection);
    if (w && w.unreadableFrom === undefined) w.unreadableFrom = this.now();
  }

  /** Sends still waiting for an ack (retrying or waiting for a connection). */
  get outstanding(): number {
    return this.active.size;
  }

  get connectionNumber(): number {
    return this.openConnection;
  }

  start(): void {
    this.connect();
  }

  /** A friend this device may send to now, if any. */
  freeFriend(): number | undefined {
    const friends = this.o.user.friends;
    if (this.o.kind !== 'modern') return friends.length ? this.o.random.pick(friends) : undefined;
    const free = friends.filter((f) => !this.active.has(f) && !this.tainted.has(f));
    return free.length ? this.o.random.pick(free) : undefined;
  }

  /** A new message to `friend`, in this device's dialect (the budget is the caller's). */
  send(friend: number): void {
    const ws = this.ws;
    if (!ws || !this.isOpen) return;
    const uid = this.o.user.id;
    const text = this.o.ledger.nextText(uid);
    if (this.o.kind === 'modern') {
      const clientMsgId = `d${this.o.id}-${++this.clientMsgCounter}`;
      const record = this.o.ledger.record({ text, senderId: uid, to: friend, device: this.o.id, mode: 'modern', flood: false, clientMsgId, sentAt: this.now() });
      const a: ActiveSend = { record, friend, connection: 0, inflight: false };
      this.active.set(friend, a);
      this.byClientMsgId.set(clientMsgId, a);
      this.attempt(a, false);
      return;
    }
    const record = this.o.ledger.record({ text, senderId: uid, to: friend, device: this.o.id, mode: 'legacy', flood: false, sentAt: this.now(), connection: this.openConnection });
    record.attempts = 1;
    ws.send(this.o.kind === 'ios' ? iosFrame({ senderId: String(uid), to: String(friend), text }) : JSON.stringify({ senderId: uid, to: friend, text }));
  }

  /** Storm: drops the connection (with a close handshake or without) and comes back within `withinMs`. */
  drop(mode: 'close' | 'terminate', withinMs: number): boolean {
    if (!this.isOpen || this.busy) return false;
    this.nextDelay = this.o.random.int(0, withinMs);
    if (mode === 'close') this.ws!.close(1000, 'going away');
    else this.ws!.terminate();
    return true;
  }

  /** Slow reader: stops reading the socket for `ms` (the server sees a full pipe or missed pings). */
  pauseFor(ms: number): boolean {
    if (!this.isOpen || this.busy) return false;
    this.pausedWs = this.ws;
    this.pausedWs!.pause();
    this.unreadable();
    this.pauseTimer = setTimeout(() => this.resume(), ms);
    return true;
  }

  resume(): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    const ws = this.pausedWs;
    this.pausedWs = undefined;
    ws?.resume();
    // Reading again on the same connection: nothing was lost to the pause.
    if (ws && ws.readyState === WebSocket.OPEN && ws === this.ws) {
      const w = this.windows.find((x) => x.connection === this.openConnection);
      if (w) w.unreadableFrom = undefined;
    }
    this.resendIdle();
  }

  /**
   * Flood: frames as fast as the socket takes them — mostly small messages, some of 15 KiB,
   * some with a text over the limit, and maybe one over the frame limit near the end.
   */
  async flood(ms: number): Promise<string> {
    const ws = this.ws;
    if (!ws || !this.isOpen || this.busy) return 'skipped: flooder not connected';
    this.flooding = true;
    const uid = this.o.user.id;
    const random = this.o.random;
    const end = Date.now() + ms;
    const oversizeAt = random.chance(0.5) ? Date.now() + ms * random.between(0.75, 1) : Infinity;
    const sent = { small: 0, large: 0, tooLong: 0, oversize: 0 };
    try {
      while (Date.now() < end && ws.readyState === WebSocket.OPEN && Object.values(sent).reduce((a, b) => a + b, 0) < FLOOD_MAX_FRAMES) {
        if (ws.bufferedAmount > 1 << 20) {
          await sleep(5);
          continue;
        }
        const to = random.pick(this.o.user.friends);
        const text = this.o.ledger.nextText(uid, 'f');
        const roll = random.next();
        let body: Record<string, unknown>;
        if (Date.now() >= oversizeAt) {
          body = { to, text, pad: 'x'.repeat(16_500) };
          sent.oversize += 1;
        } else if (roll < 0.9) {
          body = { to, text };
          sent.small += 1;
        } else if (roll < 0.95) {
          body = { to, text, pad: 'x'.repeat(15_500) };
          sent.large += 1;
        } else {
          body = { to, text: `${text} ${'x'.repeat(600)}` };
          sent.tooLong += 1;
        }
        const record = this.o.ledger.record({ text: String(body.text), senderId: uid, to, device: this.o.id, mode: 'legacy', flood: true, sentAt: this.now(), connection: this.openConnection });
        record.attempts = 1;
        this.o.ledger.floodFrames += 1;
        ws.send(JSON.stringify(body));
        if (body.pad && String(body.pad).length > 16_000) break;
        if ((sent.small + sent.large + sent.tooLong) % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await sleep(200);
    } finally {
      this.flooding = false;
    }
    const state = ws.readyState === WebSocket.OPEN ? 'socket still open' : `socket closed (${this.lastCloseCode ?? '?'})`;
    return `${sent.small} small, ${sent.large} of 15 KiB, ${sent.tooLong} too long, ${sent.oversize} over 16 KiB; ${state}`;
  }

  /**
   * Ping flood: masked WebSocket ping frames of 125 bytes written straight to the TCP socket as
   * fast as it takes them (a few MiB queued at most), reading nothing, for `ms` or until `stop()`
   * says so (the soak stops it once the replica's memory has grown past its bound). The server's
   * pongs pile up on its side. Returns what it sent and how it ended.
   */
  async pingFlood(ms: number, stop: () => boolean = () => false): Promise<string> {
    const ws = this.ws;
    if (!ws || !this.isOpen || this.busy) return 'skipped: flooder not connected';
    this.pingFlooding = true;
    ws.pause();
    this.unreadable();
    // FIN + ping opcode, masked, 125 bytes; an all-zero mask leaves the payload as it is.
    const frame = Buffer.concat([Buffer.from([0x89, 0x80 | 125, 0, 0, 0, 0]), Buffer.alloc(125, 0x70)]);
    const PER_CHUNK = 8000;
    const chunk = Buffer.concat(Array.from({ length: PER_CHUNK }, () => frame));
    const socket = (ws as unknown as { _socket?: import('node:net').Socket })._socket;
    const end = Date.now() + ms;
    let pings = 0;
    let why = 'time up';
    try {
      while (Date.now() < end && ws.readyState === WebSocket.OPEN && socket && !socket.destroyed && pings < 50_000_000) {
        if (stop()) {
          why = 'stopped: memory bound passed';
          break;
        }
        if (socket.writableLength > 4 << 20) {
          await sleep(5);
          continue;
        }
        socket.write(chunk);
        pings += PER_CHUNK;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.pingFlooding = false;
      if (ws.readyState === WebSocket.OPEN && ws === this.ws) {
        ws.resume();
        const w = this.windows.find((x) => x.connection === this.openConnection);
        if (w) w.unreadableFrom = undefined;
      }
    }
    const state = ws.readyState === WebSocket.OPEN ? 'socket still open' : `socket closed (${this.lastCloseCode ?? '?'})`;
    return `${pings} pings of 125 bytes without reading (${why}); ${state}`;
  }

  /** Settle phase: drops the connection and opens a new one; true once the new one is open. */
  async reconnectNow(timeoutMs: number): Promise<boolean> {
    this.settling = true;
    this.resume();
    const mark = this.connections;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.failures = 0;
    this.nextDelay = this.o.random.int(0, 500);
    const ws = this.ws;
    if (!ws) this.scheduleReconnect();
    else if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'reconnect');
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    const deadline = Date.now() + timeoutMs;
    while (!(this.isOpen && this.openConnection > mark) && Date.now() < deadline) await sleep(50);
    return this.isOpen && this.openConnection > mark;
  }

  /** The end: no more reconnects; resolves once closed (or after 2 s). */
  async shutdown(): Promise<void> {
    this.wanted = false;
    for (const t of [this.reconnectTimer, this.heartbeatTimer, this.pauseTimer]) if (t) clearTimeout(t);
    for (const a of this.active.values()) if (a.timer) clearTimeout(a.timer);
    this.pausedWs?.resume();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'bye');
    });
  }

  private connect(): void {
    if (!this.wanted || this.ws) return;
    const conn = ++this.connections;
    const ports = this.o.ports();
    this.replicaIndex = this.o.random.int(0, ports.length - 1);
    const port = this.o.viaProxy && this.o.proxyPorts ? this.o.proxyPorts()[this.replicaIndex] : ports[this.replicaIndex];
    this.port = port;
    const url = `ws://127.0.0.1:${port}/chat/${this.o.user.id}?token=${encodeURIComponent(this.o.user.token)}${this.o.v2 ? '&v=2' : ''}`;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 5000 });
    this.ws = ws;
    let opened = false;
    // Listeners before anything can arrive: a backlog may come in the same packet as the upgrade.
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.onFrame(conn, data as Buffer, isBinary));
    ws.on('open', () => {
      opened = true;
      this.onOpen(conn);
    });
    ws.on('unexpected-response', (_req, res) => {
      this.o.ledger.refusedUpgrade(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code: number) => {
      if (this.ws === ws) this.ws = undefined;
      if (this.pausedWs === ws) this.resume();
      if (opened) this.onClose(conn, code);
      else this.o.ledger.connectFailures += 1;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.reconnectTimer || this.ws) return;
    let delay = this.nextDelay;
    this.nextDelay = undefined;
    if (delay === undefined) {
      const cap = this.settling ? 2000 : 5000;
      delay = Math.min(cap, 250 * 2 ** Math.min(this.failures, 5)) * this.o.random.between(0.5, 1);
    }
    this.failures += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private onOpen(conn: number): void {
    this.openConnection = conn;
    this.openedAt = Date.now();
    this.windows.push({ connection: conn, openedAt: this.now() });
    this.o.ledger.connects += 1;
    if (this.o.kind === 'ios' && this.o.user.friends.length) {
      const friend = this.o.user.friends[0];
      this.heartbeatTimer = setInterval(() => {
        if (!this.isOpen || this.busy) return;
        this.ws!.send(iosFrame({ senderId: String(this.o.user.id), to: String(friend), text: this.o.heartbeatText }));
        this.o.ledger.heartbeats += 1;
      }, HEARTBEAT_MS * this.o.random.between(0.9, 1.1));
    }
    this.resendIdle();
  }

  private onClose(conn: number, code: number): void {
    if (this.openConnection === conn) this.openConnection = 0;
    const w = this.windows.find((x) => x.connection === conn);
    if (w) w.endedAt = this.now();
    this.lastCloseCode = code;
    this.o.ledger.closed(code);
    if (Date.now() - this.openedAt >= 3000) this.failures = 0;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.tainted.clear();
    for (const a of [...this.active.values()]) {
      if (!a.inflight) continue;
      // No answer will come on a closed socket: resend after the reconnect, or give up.
      if (a.timer) clearTimeout(a.timer);
      a.timer = undefined;
      a.inflight = false;
      a.connection = 0;
      this.o.ledger.note(a.record, `close ${code}`);
      if (!this.settling && this.o.random.chance(GIVE_UP)) this.giveUp(a);
    }
  }

  private onFrame(conn: number, data: Buffer, isBinary: boolean): void {
    const ledger = this.o.ledger;
    ledger.lastFrameAt = Date.now();
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = isBinary ? null : JSON.parse(data.toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      ledger.badFrames += 1;
      return;
    }
    if (frame.type === 'ack') return this.onAck(frame);
    if (typeof frame.type === 'string') return ledger.typedFrame(frame.type);
    if (frame.id === null && frame.sender === 0) return this.onError(conn, frame);
    if (typeof frame.id === 'number') {
      this.receipts.push({
        connection: conn,
        id: frame.id,
        ...(typeof frame.seq === 'number' ? { seq: frame.seq } : {}),
        senderId: Number(frame.senderId),
        to: Number(frame.to),
        text: String(frame.text),
        at: Date.now() - this.o.ledger.t0,
      });
      return;
    }
    ledger.badFrames += 1;
  }

  private onAck(frame: Record<string, unknown>): void {
    const a = this.byClientMsgId.get(String(frame.clientMsgId));
    if (!a || typeof frame.id !== 'number') {
      this.o.ledger.badFrames += 1;
      return;
    }
    a.record.ackIds.push(frame.id);
    this.o.ledger.note(a.record, `ack ${frame.id}`);
    if (this.active.get(a.friend) !== a) return; // acked after it was given up: still an ack
    if (a.timer) clearTimeout(a.timer);
    this.active.delete(a.friend);
  }

  private onError(conn: number, frame: Record<string, unknown>): void {
    const code = typeof frame.code === 'string' ? frame.code : 'NO_CODE';
    this.o.ledger.errorFrame(code);
    if (this.o.kind !== 'modern') {
      // Matched with this connection's unstored sends to `to` by the checker.
      this.legacyRefusals.push({ connection: conn, to: frame.to === null || frame.to === undefined ? null : Number(frame.to), code });
      return;
    }
    let a: ActiveSend | undefined;
    let record: SendRecord | undefined;
    if (typeof frame.clientMsgId === 'string') {
      a = this.byClientMsgId.get(frame.clientMsgId);
      record = a?.record;
    } else if (frame.to === null) {
      // Refused before it was read (a replica shutting down answers so): only unambiguous when one send is in flight.
      const inflight = [...this.active.values()].filter((x) => x.inflight && x.connection === conn);
      if (inflight.length === 1 && !this.tainted.size) [a, record] = [inflight[0], inflight[0].record];
    } else {
      const to = Number(frame.to);
      const candidate = this.active.get(to);
      if (candidate && candidate.connection === conn) {
        a = candidate;
        record = candidate.record;
      } else {
        record = this.tainted.get(to);
      }
    }
    if (!record) {
      this.o.ledger.unattributedErrors += 1;
      return;
    }
    record.errors.push(code);
    this.o.ledger.note(record, `${code} c${conn}`);
    if (!a || this.active.get(a.friend) !== a || !a.inflight || a.connection !== conn) return;
    if (a.timer) clearTimeout(a.timer);
    a.timer = undefined;
    a.inflight = false;
    this.failed(a, code);
  }

  private attempt(a: ActiveSend, isRetry = true): void {
    a.timer = undefined;
    if (this.active.get(a.friend) !== a) return;
    if (!this.isOpen || this.paused) {
      a.inflight = false;
      a.connection = 0;
      return; // resent at the next open or resume
    }
    if (isRetry && !this.o.budget()) {
      a.timer = setTimeout(() => this.attempt(a), 1000);
      return;
    }
    a.record.attempts += 1;
    a.record.sentAt ??= this.now();
    this.o.ledger.note(a.record, `a${a.record.attempts} c${this.openConnection}:${this.port}`);
    a.connection = this.openConnection;
    a.inflight = true;
    const { record } = a;
    this.ws!.send(JSON.stringify({ senderId: record.senderId, to: record.to, text: record.text, clientMsgId: record.clientMsgId }));
    a.timer = setTimeout(() => {
      a.timer = undefined;
      a.inflight = false;
      record.timeouts += 1;
      this.o.ledger.note(record, 'timeout');
      this.failed(a, 'TIMEOUT');
    }, this.o.ackTimeoutMs);
  }

  /** A careful client retries with the same clientMsgId; sometimes it gives up. */
  private failed(a: ActiveSend, why: string): void {
    const r = a.record;
    if (r.attempts >= MAX_ATTEMPTS || (!this.settling && this.o.random.chance(GIVE_UP))) {
      this.giveUp(a);
      return;
    }
    const delay = why === 'RATE_LIMITED' ? this.o.random.int(2000, 4000) : Math.min(4000, 300 * 2 ** (r.attempts - 1)) * this.o.random.between(0.5, 1);
    a.timer = setTimeout(() => this.attempt(a), delay);
  }

  private giveUp(a: ActiveSend): void {
    a.record.gaveUp = true;
    this.o.ledger.note(a.record, 'gave up');
    if (a.timer) clearTimeout(a.timer);
    this.active.delete(a.friend);
    // An attempt on this connection may still be answered: keep the friend for it.
    if (a.connection && a.connection === this.openConnection) this.tainted.set(a.friend, a.record);
  }

  /** Sends waiting for a connection or for the end of a pause go out again. */
  private resendIdle(): void {
    if (!this.isOpen || this.paused) return;
    for (const a of this.active.values()) if (!a.inflight && !a.timer) this.attempt(a);
  }
}

/** How the iOS app writes a frame: NSJSONSerialization's pretty printing (`"key" : value`, two-space indent). */
function iosFrame(body: Record<string, string>): string {
  const lines = Object.entries(body).map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}`;
}
