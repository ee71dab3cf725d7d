import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BusEvent, BusMessage, MESSAGE_BUS, MessageBus } from '@app/bus';
import { LogThrottle, withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { ConversationRepository, MemberPosition, MessageRepository, StoredMessage } from '@app/database';
import { FrameMessage } from '../protocol/frame-codec';
import { ChatMetrics } from '../shared/chat-metrics.service';
import type { ChatSocket } from './chat-socket';
import { Confirmations } from './confirmations.service';
import { Arrival, OrderAction, ReadResult } from './conversation-order';
import { DeliveredPositions } from './delivered-positions.service';
import { encodeMessage, encodeTyped } from '../transport/frame-encoder';
import { SocketRegistry } from './socket-registry';
import { SocketSession } from './socket-session';
import { UserSubscriptions } from './user-subscriptions';

/** How long a message that skipped a position waits for the missing one before it is read. */
export const GAP_WAIT_MS = 100;
/** Longest wait before a failed read is tried again. */
const GAP_RETRY_MAX_MS = 5000;
/** Messages per database read (backlog, gaps, catch-up): written as the socket drains. */
export const READ_PAGE = 100;
/** A failed re-read after a bus outage is tried again this often, this many times (2 minutes). */
const RESYNC_RETRY_MS = 2000;
const RESYNC_ATTEMPTS = 60;
/** Longest a connecting socket waits for this replica's other sockets of its user to confirm. */
const CONFIRM_LOCAL_MS = 1000;
/** Longest it waits for the other replicas to confirm theirs (each takes up to CONFIRM_LOCAL_MS). */
const CONFIRM_PEERS_MS = 1500;
/** Events kept for a socket that is still attaching; beyond that it re-reads once attached. */
const EARLY_MAX = 1000;

/**
 * Puts stored messages (and the receipts and typing notices of protocol v2) on the sockets of
 * this replica: live ones from the bus, the offline backlog at connect, whatever a bus outage or a
 * slow reader made a socket miss. Per conversation and socket, ConversationOrder decides; this
 * service carries out what it answers: writes, gap timers, database reads.
 */
@Injectable()
export class DeliveryService implements OnModuleInit {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly throttled = new LogThrottle(this.logger);
  private delivering = true;
  private readonly failures = new WeakMap<SocketSession, Map<number, number>>();
  private readonly slowTimers = new WeakMap<SocketSession, NodeJS.Timeout>();
  /** One drain listener for every socket (a closure per socket would cost each idle one memory). */
  private readonly onSocketDrained = (socket: ChatSocket): void => {
    const session = this.registry.sessionOf(socket);
    if (session) this.drained(session);
  };

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly registry: SocketRegistry,
    private readonly subscriptions: UserSubscriptions,
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly confirmations: Confirmations,
    private readonly positions: DeliveredPositions,
    private readonly config: ChatConfig,
    private readonly metrics: ChatMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.countSocketsWith(() => this.registry.size);
    this.bus.onEvent((userId, event) => this.route(userId, event));
    this.bus.onConfirmRequest((userId) => this.confirmUser(userId, Math.min(CONFIRM_LOCAL_MS, this.config.readTimeoutMs)));
    this.bus.onResync(() => {
      this.metrics.busResyncs.inc();
      void this.resyncUntilDone();
    });
  }

  /**
   * Registers a new socket and brings it up to date: subscribed first, then the positions of its
   * user's conversations are read, so a message stored meanwhile is either below them (and in the
   * backlog if it is undelivered) or arrives live; the backlog follows, page by page as the socket
   * drains. Rejects when the database does not answer in time (the caller closes the socket).
   */
  async attach(socket: ChatSocket): Promise<void> {
    const session = new SocketSession(socket);
    socket.onDrain(this.onSocketDrained);
    const others = [...this.registry.sessionsOf(socket.userId)];
    this.registry.add(session);
    const bound = this.config.readTimeoutMs;
    await withTimeout(this.subscriptions.acquire(socket.userId), bound, 'bus subscription').catch(() => undefined);
    // What the user's other sockets, here and on other replicas, were just sent is theirs, not
    // this socket's backlog: confirm it and let the positions reach the database first.
    await Promise.all([
      ...others.map((s) => this.confirmations.now(s, Math.min(CONFIRM_LOCAL_MS, bound))),
      this.bus.confirmPeers(socket.userId, Math.min(CONFIRM_PEERS_MS, bound)),
    ]);
    await this.positions.settled(socket.userId, Math.min(CONFIRM_LOCAL_MS, bound));
    const positions = await withTimeout(this.conversations.positions(socket.userId), bound, 'conversation positions');
    if (session.phase === 'closed') return;

    for (const p of positions) {
      if (p.deliveredSeq < p.receivedSeq) {
        session.setStart(p.friendId, p.deliveredSeq + 1);
        session.backlogTo.set(p.friendId, p.lastSeq);
      } else {
        session.setStart(p.friendId, p.lastSeq + 1);
      }
    }
    session.phase = 'live';
    for (const [friendId, to] of session.backlogTo) this.apply(session, friendId, session.order(friendId).catchUp(to));
    const early = session.early;
    session.early = [];
    for (const e of early) this.offer(session, e.friendId, e.arrival);
    for (const data of session.takeHeldReceipts()) if (!session.socket.overBudget) session.socket.send(data);
    if (session.earlyOverflow || session.resyncAfterAttach) await this.resyncSession(session);
  }

  /**
   * Forgets a closed socket. `clean`: it closed with a handshake, after reading everything written
   * to it, so its positions count; otherwise what it was last sent comes again at the next connect
   * (the same ids: a repeat, never a loss).
   */
  detach(socket: ChatSocket, clean: boolean): void {
    const session = this.registry.sessionOf(socket);
    if (!session) return;
    session.phase = 'closed';
    const records = clean && !session.writeFailed && session.unconfirmed.size > 0;
    this.confirmations.closed(session, clean && !session.writeFailed);
    session.clearTimers();
    clearTimeout(this.slowTimers.get(session));
    if (!this.registry.remove(session)) return;
    const userId = socket.userId;
    if (!records) return this.subscriptions.release(userId);
    // The user's last socket here recorded positions as it closed: the subscription stays until
    // they are written, so a device of the user connecting on another replica meanwhile can still
    // ask this one to confirm (and wait for that write) before reading its backlog.
    void this.positions.settled(userId, CONFIRM_LOCAL_MS).then(() => {
      if (!this.registry.count(userId)) this.subscriptions.release(userId);
    });
  }

  /** A send of this socket to `friendId` is on its way to the database. */
  noteSending(socket: ChatSocket, friendId: number): void {
    this.registry.sessionOf(socket)?.sending(friendId);
  }

  /** This socket's send was stored: it has that position and must never get it back. */
  noteSent(socket: ChatSocket, message: StoredMessage): void {
    const session = this.registry.sessionOf(socket);
    if (!session) return;
    const parked = session.settled(message.to);
    if (message.seq !== undefined) this.offer(session, message.to, { kind: 'own', seq: message.seq });
    if (parked) this.apply(session, message.to, session.order(message.to).readDone(parked));
  }

  /** This socket's send to `friendId` was not stored. */
  noteSendFailed(socket: ChatSocket, friendId: number): void {
    const session = this.registry.sessionOf(socket);
    const parked = session?.settled(friendId);
    if (session && parked) this.apply(session, friendId, session.order(friendId).readDone(parked));
  }

  /** Shutdown: nothing more reaches this replica's sockets; what they did not get stays undelivered. */
  stopDelivering(): void {
    this.delivering = false;
  }

  /** Another replica is attaching a socket of `userId`: confirm this replica's and record their positions. */
  private async confirmUser(userId: number, timeoutMs: number): Promise<void> {
    await Promise.all([...this.registry.sessionsOf(userId)].map((s) => this.confirmations.now(s, timeoutMs)));
    await this.positions.settled(userId, timeoutMs);
  }

  /** Shutdown: confirms what every socket was sent, so only the unread stays undelivered. */
  async confirmAll(timeoutMs: number): Promise<void> {
    await Promise.all([...this.registry.all()].map((s) => this.confirmations.now(s, timeoutMs)));
  }

  get socketCount(): number {
    return this.registry.size;
  }

  socketsOf(userId: number): number {
    return this.registry.count(userId);
  }

  allSockets(): ChatSocket[] {
    return [...this.registry.all()].map((s) => s.socket);
  }

  // ---------------------------------------------------------------- events from the bus

  private route(userId: number, event: BusEvent): void {
    if (!this.delivering) return;
    switch (event.type) {
      case 'message':
        return this.routeMessage(userId, event);
      case 'read': {
        const friendId = event.by === userId ? event.friendId : event.by;
        return this.routeTyped(userId, encodeTyped({ type: 'read', friendId, by: event.by, seq: event.seq, time: event.time }), event.originSocket, `read:${friendId}:${event.by}`);
      }
      case 'delivered':
        return this.routeTyped(userId, encodeTyped({ type: 'delivered', friendId: event.by, seq: event.seq }), undefined, `delivered:${event.by}`);
      case 'typing':
        return this.routeTyped(userId, encodeTyped({ type: 'typing', friendId: event.by }));
    }
  }

  private routeMessage(userId: number, m: BusMessage): void {
    const friendId = m.senderId === userId ? m.to : m.senderId;
    for (const session of this.registry.sessionsOf(userId)) {
      if (session.socket.id === m.originSocket) continue;
      // A message from a replica of the previous release may lack its position: written as it comes.
      if (m.seq === undefined) this.write(session, friendId, m);
      else this.offer(session, friendId, { kind: 'message', seq: m.seq, message: m });
    }
  }

  /**
   * Receipts and typing: v2 sockets only, never to a socket over its budget (the next one
   * supersedes it). A receipt (`receipt` names what it supersedes) that reaches a socket still
   * attaching waits, the latest of each kind, until its backlog is written; typing does not wait.
   */
  private routeTyped(userId: number, data: string, originSocket?: string, receipt?: string): void {
    for (const session of this.registry.sessionsOf(userId)) {
      const socket = session.socket;
      if (socket.version !== 2 || socket.id === originSocket) continue;
      if (session.phase === 'attaching') {
        if (receipt) session.holdReceipt(receipt, data);
        continue;
      }
      if (session.phase !== 'live' || socket.overBudget) continue;
      socket.send(data);
    }
  }

  // ---------------------------------------------------------------- one conversation on one socket

  private offer(session: SocketSession, friendId: number, arrival: Arrival<FrameMessage>): void {
    if (session.phase === 'closed' || !this.delivering) return;
    if (session.phase === 'attaching') {
      if (session.early.length < EARLY_MAX) session.early.push({ friendId, arrival });
      else session.earlyOverflow = true;
      return;
    }
    this.apply(session, friendId, session.order(friendId).offer(arrival));
  }

  private apply(session: SocketSession, friendId: number, actions: OrderAction<FrameMessage>[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case 'write':
          this.write(session, friendId, action.message);
          break;
        case 'wait':
          this.waitForGap(session, friendId);
          break;
        case 'read':
          if (!session.readQueue.includes(friendId)) session.readQueue.push(friendId);
          this.pump(session);
          break;
      }
    }
  }

  private write(session: SocketSession, friendId: number, m: FrameMessage & { acceptedAt?: number }): void {
    const socket = session.socket;
    // A legacy app shows every frame as the friend's words: the user's own message is not sent
    // to its other legacy sockets (its position passes all the same), unless the operator asks.
    if (m.senderId === socket.userId && socket.version !== 2 && !this.config.legacyEcho) return;
    if (!socket.send(encodeMessage(m, socket.version))) {
      // The order has moved past it: at close, this conversation counts only up to before it (a
      // repeat at the next connect, not a loss).
      if (m.seq === undefined) session.writeFailed = true;
      else if (!session.writeCaps.has(friendId)) session.writeCaps.set(friendId, m.seq - 1);
      return;
    }
    this.metrics.messagesOut.inc();
    if (m.acceptedAt && session.phase === 'live') this.metrics.deliveryLatency.observe((Date.now() - m.acceptedAt) / 1000);
    if (m.senderId !== socket.userId) {
      session.unconfirmed.add(friendId);
      if ((m as { receipts?: true }).receipts) session.receiptsFor.add(friendId);
      this.confirmations.schedule(session);
    }
    if (socket.overBudget && !session.lagging) this.lag(session);
  }

  private waitForGap(session: SocketSession, friendId: number): void {
    if (session.timers.has(friendId)) return;
    const failed = this.failures.get(session)?.get(friendId) ?? 0;
    const delay = Math.min(GAP_RETRY_MAX_MS, GAP_WAIT_MS * 2 ** failed);
    const timer = setTimeout(() => {
      session.timers.delete(friendId);
      if (session.phase === 'closed' || !this.delivering) return;
      this.apply(session, friendId, session.order(friendId).timedOut());
    }, delay);
    timer.unref();
    session.timers.set(friendId, timer);
  }

  /** Runs the socket's reads one at a time, while it has room in its send budget. */
  private pump(session: SocketSession): void {
    if (session.reading || session.lagging || session.phase !== 'live' || !this.delivering) return;
    const friendId = session.readQueue.shift();
    if (friendId === undefined) return;
    const state = session.order(friendId).state;
    if (state.kind !== 'reading') return this.pump(session);
    session.reading = true;
    this.read(session, friendId, state.from, state.to)
      .then((result) => {
        if (session.phase === 'closed') return;
        this.failures.get(session)?.delete(friendId);
        if (!result.friendOnly && session.park(friendId, result)) return;
        this.apply(session, friendId, session.order(friendId).readDone(result));
      })
      .catch((e: unknown) => {
        if (session.phase === 'closed') return;
        this.throttled.warn('read', `reading positions ${state.from}..${state.to} of a conversation of user ${session.userId} failed: ${String(e)}`);
        let failures = this.failures.get(session);
        if (!failures) this.failures.set(session, (failures = new Map()));
        failures.set(friendId, (failures.get(friendId) ?? 0) + 1);
        this.apply(session, friendId, session.order(friendId).readFailed());
      })
      .finally(() => {
        session.reading = false;
        setImmediate(() => this.pump(session));
      });
  }

  /** One page of positions from..to: the friend's messages only within the offline backlog. */
  private async read(session: SocketSession, friendId: number, from: number, to: number): Promise<ReadResult<FrameMessage> & { friendOnly: boolean }> {
    const userId = session.userId;
    const backlogTo = session.backlogTo.get(friendId) ?? 0;
    const friendOnly = from <= backlogTo;
    const upTo = friendOnly ? Math.min(to, backlogTo) : to;
    const rows = await withTimeout(
      friendOnly
        ? this.messages.findRangeFrom(friendId, userId, from, upTo, READ_PAGE)
        : this.messages.findRange(userId, friendId, from, upTo, READ_PAGE),
      this.config.readTimeoutMs,
      'reading a conversation',
    );
    const coveredTo = rows.length === READ_PAGE ? rows[rows.length - 1].seq : upTo;
    if (coveredTo >= backlogTo) session.backlogTo.delete(friendId);
    // Whether the sender of a stored message reads delivered receipts is not stored: messages
    // from the database (the offline backlog, gaps) get their receipt; a legacy sender's sockets
    // never receive typed frames, so it costs a publish, not a frame.
    if (rows.some((r) => r.senderId === friendId)) session.receiptsFor.add(friendId);
    return { rows: rows.map((r) => ({ seq: r.seq, message: r })), coveredTo, friendOnly };
  }

  // ---------------------------------------------------------------- slow readers

  /** Over its send budget: nothing more is written or held until it drains; too long, and it is closed. */
  private lag(session: SocketSession): void {
    session.lagging = true;
    for (const [, order] of session.activeOrders()) order.suspend();
    clearTimeout(this.slowTimers.get(session));
    const timer = setTimeout(() => {
      if (!session.lagging || session.phase === 'closed') return;
      this.metrics.slowReaders.inc();
      this.logger.warn(`closing a socket of user ${session.userId}: it has not read for ${this.config.slowReaderMs} ms`);
      session.socket.close(1008, `not reading: the send buffer stayed full for ${this.config.slowReaderMs} ms`);
    }, this.config.slowReaderMs);
    timer.unref();
    this.slowTimers.set(session, timer);
  }

  private drained(session: SocketSession): void {
    if (!session.lagging || session.phase === 'closed') return;
    session.lagging = false;
    clearTimeout(this.slowTimers.get(session));
    for (const [friendId, order] of session.activeOrders()) this.apply(session, friendId, order.resume());
    this.pump(session);
  }

  // ---------------------------------------------------------------- after a bus outage

  /** A re-read that fails (the database is away too) is tried again, for a while. */
  private async resyncUntilDone(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.resyncAll();
      } catch (e) {
        if (attempt >= RESYNC_ATTEMPTS || !this.delivering) {
          this.logger.error(`re-reading after a bus outage failed ${attempt} times, giving up: ${String(e)}`);
          return;
        }
        this.throttled.warn('resync', `re-reading after a bus outage failed, again in ${RESYNC_RETRY_MS} ms: ${String(e)}`);
        await new Promise((r) => setTimeout(r, RESYNC_RETRY_MS));
      }
    }
  }

  private async resyncAll(): Promise<void> {
    for (const userId of this.registry.users()) {
      const sessions = [...this.registry.sessionsOf(userId)];
      const live = sessions.filter((s) => {
        if (s.phase === 'attaching') s.resyncAfterAttach = true;
        return s.phase === 'live';
      });
      if (!live.length) continue;
      const positions = await withTimeout(this.conversations.positions(userId), this.config.readTimeoutMs, 'conversation positions');
      for (const s of live) await this.resyncSession(s, positions);
    }
  }

  /** Reads every conversation whose last position the socket has not had. */
  private async resyncSession(session: SocketSession, known?: MemberPosition[]): Promise<void> {
    const positions = known ?? (await withTimeout(this.conversations.positions(session.userId), this.config.readTimeoutMs, 'conversation positions'));
    for (const p of positions) {
      if (session.phase !== 'live') return;
      if (p.lastSeq >= session.nextOf(p.friendId)) this.apply(session, p.friendId, session.order(p.friendId).catchUp(p.lastSeq));
    }
  }
}
