import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BusMessage, MESSAGE_BUS, MessageBus } from '@app/bus';
import { MessageRepository, StoredMessage } from '@app/database';
import { messageFrame } from '../chat/chat-frames';
import { UserDirectory } from '../chat/user-directory.service';
import { ChatMetrics } from '../ops/chat-metrics.service';
import { ChatSocket } from './chat-socket';
import { DeliveredMarker } from './delivered-marker.service';

/** Ids remembered per socket, to skip what it already has when re-reading after a bus outage. */
const RECENT_IDS = 64;
const READ_BATCH = 500;
/** How long a message that skipped a position waits for the missing one before it is read from the database. */
export const GAP_WAIT_MS = 100;
/** Written messages are confirmed (ping/pong) in rounds: this long after the first unconfirmed write. */
export const CONFIRM_DELAY_MS = 250;
const CONFIRM_TIMEOUT_MS = 5000;

/**
 * Order of one conversation on one socket. Every position of the conversation reaches the socket
 * exactly once: delivered, or sent by the socket itself. A message that arrives ahead of a
 * missing position waits in `held` (briefly: the missing one is usually in flight from another
 * replica, or is this socket's own unacknowledged send), then the gap is read from the database.
 */
interface ConversationOrder {
  next: number;
  /** Waiting messages by position; null marks a position this socket sent itself. */
  held: Map<number, BusMessage | null>;
  timer?: NodeJS.Timeout;
}

interface Connection {
  socket: ChatSocket;
  /** False while the offline backlog is being pushed; live messages wait in `buffer`. */
  live: boolean;
  buffer: BusMessage[];
  /** Last ids sent to or by this socket. */
  recent: number[];
  /** Newest message id when the socket connected: where a re-read starts if nothing came since. */
  since: number;
  resyncPending: boolean;
  /** Per conversation partner, created with the first live message of that conversation. */
  order?: Map<number, ConversationOrder>;
  /** Ids written to the recipient's socket and not yet confirmed as read. */
  unconfirmed: number[];
  confirming: boolean;
}

/**
 * Puts stored messages on the sockets of this process: live ones from the bus, the offline
 * backlog at connect, and whatever a bus outage may have dropped. Knows sockets only through
 * ChatSocket.
 */
@Injectable()
export class DeliveryService implements OnModuleInit {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly byUser = new Map<number, Set<Connection>>();
  private readonly bySocket = new WeakMap<ChatSocket, Connection>();
  private readonly subscriptions = new Map<number, Promise<void>>();
  private delivering = true;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly messages: MessageRepository,
    private readonly directory: UserDirectory,
    private readonly marker: DeliveredMarker,
    private readonly metrics: ChatMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.countSocketsWith(() => this.socketCount);
    this.bus.onEvent((userId, event) => event.type === 'message' && this.route(userId, event));
    this.bus.onResync(() => {
      this.metrics.busResyncs.inc();
      this.resyncAll().catch((e: unknown) => this.logger.error(`re-reading after a bus outage failed: ${String(e)}`));
    });
  }

  /**
   * Shutdown: from now on nothing more is written to this process's sockets, so what is not yet
   * delivered stays pending and reaches the clients when they reconnect elsewhere.
   */
  stopDelivering(): void {
    this.delivering = false;
  }

  /** Shutdown: confirms what every socket was sent, so only the unread stays pending. */
  async confirmAll(): Promise<void> {
    await Promise.all(
      [...this.byUser.values()].flatMap((set) =>
        [...set].map(async (conn) => {
          const count = conn.unconfirmed.length;
          if (count && (await conn.socket.confirm(1000))) for (const id of conn.unconfirmed.splice(0, count)) this.marker.mark(id);
        }),
      ),
    );
  }

  /** Open sockets of one user on this replica. */
  socketsOf(userId: number): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  get socketCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  allSockets(): ChatSocket[] {
    return [...this.byUser.values()].flatMap((set) => [...set].map((c) => c.socket));
  }

  /**
   * Registers a new socket and pushes its user's offline messages, in order, once. The socket is
   * registered and subscribed before the backlog is read, so a message stored meanwhile is either
   * in the backlog or arrives live; the one that is both is sent once.
   */
  async attach(socket: ChatSocket): Promise<void> {
    const userId = socket.userId;
    const conn: Connection = { socket, live: false, buffer: [], recent: [], since: 0, resyncPending: false, unconfirmed: [], confirming: false };
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(conn);
    this.bySocket.set(socket, conn);

    let subscribed = this.subscriptions.get(userId);
    if (!subscribed) {
      subscribed = this.bus.subscribe(userId).catch((e: unknown) => {
        // The bus keeps wanting this user and subscribes again when it comes back (then resyncs).
        this.logger.warn(`bus subscription for user ${userId} failed: ${String(e)}`);
      });
      this.subscriptions.set(userId, subscribed);
    }
    await subscribed;
    // A socket of this user that is closing may still hold unconfirmed deliveries: let it settle
    // them (its close listener runs shortly), then let those marks reach the database.
    for (let i = 0; i < 50 && [...set].some((c) => c !== conn && !c.socket.isOpen); i++) await sleep(20);
    await this.marker.settled();
    conn.since = await this.messages.latestId();

    let after = 0;
    for (;;) {
      const backlog = await this.messages.findPending(userId, after, READ_BATCH);
      // Unordered: the backlog comes in id order and may skip positions another device got.
      for (const m of backlog) {
        const sender = await this.directory.find(m.senderId);
        this.deliver(conn, { ...m, type: 'message', senderName: sender?.name ?? '' }, false);
      }
      if (backlog.length < READ_BATCH || !socket.isOpen) break;
      after = backlog[backlog.length - 1].id;
    }
    for (const m of conn.buffer.sort((a, b) => a.id - b.id)) this.deliver(conn, m);
    conn.buffer = [];
    conn.live = true;
    if (conn.resyncPending) await this.resyncUser(userId);
  }

  /**
   * Forgets a closed socket. `clean`: it closed with a handshake, after reading everything
   * written to it, so its unconfirmed deliveries count; otherwise they stay pending and come
   * again at the next connect (the same ids: a repeat, never a loss).
   */
  detach(socket: ChatSocket, clean: boolean): void {
    const conn = this.bySocket.get(socket);
    if (!conn) return;
    if (clean) for (const id of conn.unconfirmed.splice(0)) this.marker.mark(id);
    for (const order of conn.order?.values() ?? []) if (order.timer) clearTimeout(order.timer);
    this.bySocket.delete(socket);
    const set = this.byUser.get(socket.userId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.byUser.delete(socket.userId);
      this.subscriptions.delete(socket.userId);
      this.bus.unsubscribe(socket.userId).catch((e: unknown) => this.logger.warn(`bus unsubscribe failed: ${String(e)}`));
    }
  }

  /** A message this socket sent itself: it takes its position and must never come back to it. */
  noteSent(socket: ChatSocket, message: StoredMessage): void {
    const conn = this.bySocket.get(socket);
    if (!conn) return;
    remember(conn, message.id);
    if (message.seq === undefined || !conn.live) return;
    const partner = message.to;
    const order = this.orderOf(conn, partner, message.seq);
    if (message.seq === order.next) {
      order.next += 1;
      this.releaseHeld(conn, order);
    } else if (message.seq > order.next) {
      order.held.set(message.seq, null);
      this.scheduleGapRead(conn, partner, order);
    }
  }

  private route(userId: number, message: BusMessage): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    for (const conn of set) {
      if (conn.socket.id === message.originSocket) continue;
      if (conn.live) this.deliver(conn, message);
      else conn.buffer.push(message);
    }
  }

  /** Live messages keep conversation order; backlog ones (ordered by id already) skip it. */
  private deliver(conn: Connection, m: BusMessage, ordered = true): void {
    if (conn.recent.includes(m.id) || !conn.socket.isOpen) return;
    if (ordered && conn.live && m.seq !== undefined) {
      const partner = m.senderId === conn.socket.userId ? m.to : m.senderId;
      const order = this.orderOf(conn, partner, m.seq);
      if (m.seq > order.next) {
        order.held.set(m.seq, m);
        this.scheduleGapRead(conn, partner, order);
        return;
      }
      if (m.seq === order.next) {
        order.next += 1;
        this.write(conn, m);
        this.releaseHeld(conn, order);
        return;
      }
      // Behind the expected position and never seen: late, but delivered rather than lost.
    }
    this.write(conn, m);
  }

  private orderOf(conn: Connection, partner: number, seq: number): ConversationOrder {
    conn.order ??= new Map();
    let order = conn.order.get(partner);
    if (!order) conn.order.set(partner, (order = { next: seq, held: new Map() }));
    return order;
  }

  private releaseHeld(conn: Connection, order: ConversationOrder): void {
    while (order.held.has(order.next)) {
      const m = order.held.get(order.next);
      order.held.delete(order.next);
      order.next += 1;
      if (m) this.write(conn, m);
    }
    if (!order.held.size && order.timer) {
      clearTimeout(order.timer);
      order.timer = undefined;
    }
  }

  private scheduleGapRead(conn: Connection, partner: number, order: ConversationOrder): void {
    if (order.timer) return;
    order.timer = setTimeout(() => {
      order.timer = undefined;
      this.readGap(conn, partner, order).catch((e: unknown) => {
        this.logger.warn(`reading a conversation gap failed, releasing what is held: ${String(e)}`);
        this.flushHeld(conn, order);
      });
    }, GAP_WAIT_MS);
    order.timer.unref();
  }

  /** Fills the missing positions from the database, then releases everything held, in order. */
  private async readGap(conn: Connection, partner: number, order: ConversationOrder): Promise<void> {
    if (!order.held.size || !conn.socket.isOpen) return;
    const upTo = Math.max(...order.held.keys());
    const rows = await this.messages.findConversationRange(conn.socket.userId, partner, order.next, upTo);
    for (const m of rows) {
      if (m.seq === undefined || m.seq < order.next) continue;
      const held = order.held.get(m.seq);
      order.held.delete(m.seq);
      order.next = m.seq + 1;
      if (held === null) continue; // this socket's own message
      const sender = held ? null : await this.directory.find(m.senderId);
      this.write(conn, held ?? { ...m, type: 'message', senderName: sender?.name ?? '' });
    }
    this.flushHeld(conn, order);
  }

  /** Whatever is still held goes out in position order. */
  private flushHeld(conn: Connection, order: ConversationOrder): void {
    for (const seq of [...order.held.keys()].sort((a, b) => a - b)) {
      const m = order.held.get(seq);
      order.held.delete(seq);
      order.next = Math.max(order.next, seq + 1);
      if (m) this.write(conn, m);
    }
  }

  private write(conn: Connection, m: BusMessage): void {
    if (!this.delivering || conn.recent.includes(m.id) || !conn.socket.isOpen) return;
    remember(conn, m.id);
    conn.socket.send(messageFrame(m)).then(
      () => {
        this.metrics.messagesOut.inc();
        if (conn.live && m.acceptedAt) this.metrics.deliveryLatency.observe((Date.now() - m.acceptedAt) / 1000);
        if (m.to === conn.socket.userId) {
          conn.unconfirmed.push(m.id);
          this.scheduleConfirm(conn);
        }
      },
      () => undefined, // the socket went away; the message stays pending unless another socket got it
    );
  }

  /**
   * A written frame counts as delivered (no longer pending) only once the client has shown it
   * read it: a kernel buffer of a dying connection is not a delivery.
   */
  private scheduleConfirm(conn: Connection): void {
    if (conn.confirming) return;
    conn.confirming = true;
    setTimeout(() => {
      // Ids stay listed until confirmed: a clean close meanwhile settles them in detach().
      const count = conn.unconfirmed.length;
      conn.socket
        .confirm(CONFIRM_TIMEOUT_MS)
        .then((ok) => {
          conn.confirming = false;
          if (!ok) return; // decided when the socket closes
          for (const id of conn.unconfirmed.splice(0, count)) this.marker.mark(id);
          if (conn.unconfirmed.length) this.scheduleConfirm(conn);
        })
        .catch(() => (conn.confirming = false));
    }, CONFIRM_DELAY_MS).unref();
  }

  private async resyncAll(): Promise<void> {
    for (const userId of [...this.byUser.keys()]) await this.resyncUser(userId);
  }

  /** Re-reads what the user's sockets may have missed while the bus was away. */
  private async resyncUser(userId: number): Promise<void> {
    const set = this.byUser.get(userId);
    if (!set) return;
    const live = [...set].filter((c) => {
      if (!c.live) c.resyncPending = true;
      return c.live;
    });
    if (!live.length) return;
    // Fixed before sending: delivering moves `recent`.
    const from = new Map(live.map((c) => [c, c.recent.length ? Math.min(...c.recent) : c.since]));
    let after = Math.min(...from.values());
    for (;;) {
      const rows = await this.messages.findInvolvingAfter(userId, after, READ_BATCH);
      for (const m of rows) {
        const sender = await this.directory.find(m.senderId);
        for (const conn of live) if (m.id > from.get(conn)!) this.deliver(conn, { ...m, type: 'message', senderName: sender?.name ?? '' });
      }
      if (rows.length < READ_BATCH) break;
      after = rows[rows.length - 1].id;
    }
    for (const c of live) c.resyncPending = false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function remember(conn: Connection, id: number): void {
  conn.recent.push(id);
  if (conn.recent.length > RECENT_IDS) conn.recent.shift();
}
