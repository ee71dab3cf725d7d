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

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly messages: MessageRepository,
    private readonly directory: UserDirectory,
    private readonly marker: DeliveredMarker,
    private readonly metrics: ChatMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.countSocketsWith(() => this.socketCount);
    this.bus.onMessage((userId, message) => this.route(userId, message));
    this.bus.onResync(() => {
      this.metrics.busResyncs.inc();
      this.resyncAll().catch((e: unknown) => this.logger.error(`re-reading after a bus outage failed: ${String(e)}`));
    });
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
    const conn: Connection = { socket, live: false, buffer: [], recent: [], since: 0, resyncPending: false };
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
    await this.marker.settled();
    conn.since = await this.messages.latestId();

    let after = 0;
    for (;;) {
      const backlog = await this.messages.findPending(userId, after, READ_BATCH);
      for (const m of backlog) await this.sendStored(conn, m);
      if (backlog.length < READ_BATCH || !socket.isOpen) break;
      after = backlog[backlog.length - 1].id;
    }
    for (const m of conn.buffer.sort((a, b) => a.id - b.id)) this.deliver(conn, m);
    conn.buffer = [];
    conn.live = true;
    if (conn.resyncPending) await this.resyncUser(userId);
  }

  detach(socket: ChatSocket): void {
    const conn = this.bySocket.get(socket);
    if (!conn) return;
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

  /** A message this socket sent itself: it must not come back to it after a re-read. */
  noteSent(socket: ChatSocket, id: number): void {
    const conn = this.bySocket.get(socket);
    if (conn) remember(conn, id);
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

  private deliver(conn: Connection, m: BusMessage): void {
    if (conn.recent.includes(m.id) || !conn.socket.isOpen) return;
    remember(conn, m.id);
    conn.socket.send(messageFrame(m)).then(
      () => {
        this.metrics.messagesOut.inc();
        if (conn.live && m.acceptedAt) this.metrics.deliveryLatency.observe((Date.now() - m.acceptedAt) / 1000);
        if (m.to === conn.socket.userId) this.marker.mark(m.id);
      },
      () => undefined, // the socket went away; the message stays pending unless another socket got it
    );
  }

  private async sendStored(conn: Connection, m: StoredMessage): Promise<void> {
    const sender = await this.directory.find(m.senderId);
    this.deliver(conn, { ...m, senderName: sender?.name ?? '' });
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
        for (const conn of live) if (m.id > from.get(conn)!) this.deliver(conn, { ...m, senderName: sender?.name ?? '' });
      }
      if (rows.length < READ_BATCH) break;
      after = rows[rows.length - 1].id;
    }
    for (const c of live) c.resyncPending = false;
  }
}

function remember(conn: Connection, id: number): void {
  conn.recent.push(id);
  if (conn.recent.length > RECENT_IDS) conn.recent.shift();
}
