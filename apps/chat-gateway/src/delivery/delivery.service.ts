import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { BusEvent, BusMessage, MESSAGE_BUS, MessageBus } from '@app/bus';
import { withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { ConversationRepository, StoredMessage } from '@app/database';
import type { ServerEvent } from '../protocol/events';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { BusResync } from './bus-resync';
import type { ChatSocket } from './chat-socket';
import { Confirmations } from './confirmations.service';
import { ConversationFlow } from './conversation-flow';
import { DeliveredPositions } from './delivered-positions.service';
import { SocketRegistry } from './socket-registry';
import { SocketSession } from './socket-session';
import { UserSubscriptions } from './user-subscriptions';

export { GAP_WAIT_MS, READ_PAGE } from './conversation-flow';
/** Longest a connecting socket waits for this replica's other sockets of its user to confirm. */
const CONFIRM_LOCAL_MS = 1000;
/** Longest it waits for the other replicas to confirm theirs (each takes up to CONFIRM_LOCAL_MS). */
const CONFIRM_PEERS_MS = 1500;

/**
 * Puts stored messages (and the receipts and typing notices of protocol v2) on the sockets of
 * this replica: it attaches and detaches sockets and routes the bus's events to them. What a
 * socket's conversations then do is ConversationFlow's; re-reads after a bus outage, BusResync's.
 */
@Injectable()
export class DeliveryService implements OnModuleInit {
  /** One drain listener for every socket (a closure per socket would cost each idle one memory). */
  private readonly onSocketDrained = (socket: ChatSocket): void => {
    const session = this.registry.sessionOf(socket);
    if (session) this.flow.drained(session);
  };

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly registry: SocketRegistry,
    private readonly subscriptions: UserSubscriptions,
    private readonly conversations: ConversationRepository,
    private readonly flow: ConversationFlow,
    private readonly resync: BusResync,
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
      void this.resync.untilDone();
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
      if (p.deliveredSeq < p.receivedSeq) session.start(p.friendId, p.deliveredSeq + 1, p.lastSeq);
      else session.start(p.friendId, p.lastSeq + 1);
    }
    const waited = session.goLive();
    for (const [friendId, to] of waited.backlog) this.flow.apply(session, friendId, session.order(friendId).catchUp(to));
    for (const e of waited.early) this.flow.offer(session, e.friendId, e.arrival);
    for (const receipt of waited.receipts) if (!socket.overBudget) socket.send(receipt);
    if (waited.resync) await this.resync.session(session);
  }

  /**
   * Forgets a closed socket. `clean`: it closed with a handshake, after reading everything written
   * to it, so its positions count; otherwise what it was last sent comes again at the next connect
   * (the same ids: a repeat, never a loss).
   */
  detach(socket: ChatSocket, clean: boolean): void {
    const session = this.registry.sessionOf(socket);
    if (!session) return;
    const unconfirmed = session.confirmations().hasUnconfirmed;
    const intact = session.close();
    const records = clean && intact && unconfirmed;
    this.confirmations.closed(session, clean && intact);
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
    this.registry.sessionOf(socket)?.ownSends().sending(friendId);
  }

  /** This socket's send was stored: it has that position and must never get it back. */
  noteSent(socket: ChatSocket, message: StoredMessage): void {
    const session = this.registry.sessionOf(socket);
    if (!session) return;
    const parked = session.ownSends(false)?.settled(message.to);
    if (message.seq !== undefined) this.flow.offer(session, message.to, { kind: 'own', seq: message.seq });
    if (parked) this.flow.apply(session, message.to, session.order(message.to).readDone(parked));
  }

  /** This socket's send to `friendId` was not stored. */
  noteSendFailed(socket: ChatSocket, friendId: number): void {
    const session = this.registry.sessionOf(socket);
    const parked = session?.ownSends(false)?.settled(friendId);
    if (session && parked) this.flow.apply(session, friendId, session.order(friendId).readDone(parked));
  }

  /** Shutdown: nothing more reaches this replica's sockets; what they did not get stays undelivered. */
  stopDelivering(): void {
    this.flow.stop();
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
    if (!this.flow.isDelivering) return;
    switch (event.type) {
      case 'message':
        return this.routeMessage(userId, event);
      case 'read': {
        const friendId = event.by === userId ? event.friendId : event.by;
        return this.routeTyped(userId, { type: 'read', friendId, by: event.by, seq: event.seq, time: event.time }, event.originSocket, `read:${friendId}:${event.by}`);
      }
      case 'delivered':
        return this.routeTyped(userId, { type: 'delivered', friendId: event.by, seq: event.seq }, undefined, `delivered:${event.by}`);
      case 'typing':
        return this.routeTyped(userId, { type: 'typing', friendId: event.by });
    }
  }

  private routeMessage(userId: number, m: BusMessage): void {
    const friendId = m.senderId === userId ? m.to : m.senderId;
    for (const session of this.registry.sessionsOf(userId)) {
      if (session.socket.id === m.originSocket) continue;
      // A message from a replica of the previous release may lack its position: written as it comes.
      if (m.seq === undefined) this.flow.write(session, friendId, m);
      else this.flow.offer(session, friendId, { kind: 'message', seq: m.seq, message: m });
    }
  }

  /**
   * Receipts and typing: v2 sockets only, never to a socket over its budget (the next one
   * supersedes it). A receipt (`receipt` names what it supersedes) that reaches a socket still
   * attaching waits, the latest of each kind, until its backlog is written; typing does not wait.
   */
  private routeTyped(userId: number, event: ServerEvent, originSocket?: string, receipt?: string): void {
    for (const session of this.registry.sessionsOf(userId)) {
      const socket = session.socket;
      if (socket.version !== 2 || socket.id === originSocket) continue;
      if (session.phase === 'attaching') {
        if (receipt) session.holdReceipt(receipt, event);
        continue;
      }
      if (session.phase !== 'live' || socket.overBudget) continue;
      socket.send(event);
    }
  }
}
