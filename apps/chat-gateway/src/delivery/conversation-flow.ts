import { Injectable, Logger } from '@nestjs/common';
import { LogThrottle, withTimeout } from '@app/common';
import { ChatConfig } from '@app/config';
import { MessageRepository } from '@app/database';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { Confirmations } from './confirmations.service';
import { Arrival, OrderAction, ReadResult } from './conversation-order';
import { DeliveryMessage, SocketSession } from './socket-session';

/** How long a message that skipped a position waits for the missing one before it is read. */
export const GAP_WAIT_MS = 100;
/** Longest wait before a failed read is tried again. */
const GAP_RETRY_MAX_MS = 5000;
/** Messages per database read (backlog, gaps, catch-up): written as the socket drains. */
export const READ_PAGE = 100;

/**
 * One conversation on one socket: ConversationOrder decides, this carries out what it answers
 * (writes with their metrics and confirmations, gap timers, database reads one at a time per
 * socket while it has room), and holds a socket that stopped reading until it drains or is closed.
 */
@Injectable()
export class ConversationFlow {
  private readonly logger = new Logger(ConversationFlow.name);
  private readonly throttled = new LogThrottle(this.logger);
  private delivering = true;

  constructor(
    private readonly messages: MessageRepository,
    private readonly confirmations: Confirmations,
    private readonly config: ChatConfig,
    private readonly metrics: ChatMetrics,
  ) {}

  /** Shutdown: nothing more reaches this replica's sockets. */
  stop(): void {
    this.delivering = false;
  }

  get isDelivering(): boolean {
    return this.delivering;
  }

  offer(session: SocketSession, friendId: number, arrival: Arrival<DeliveryMessage>): void {
    if (session.phase === 'closed' || !this.delivering) return;
    if (session.phase === 'attaching') return session.keepEarly(friendId, arrival);
    this.apply(session, friendId, session.order(friendId).offer(arrival));
  }

  apply(session: SocketSession, friendId: number, actions: OrderAction<DeliveryMessage>[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case 'write':
          this.write(session, friendId, action.message);
          break;
        case 'wait':
          session.waitForGap(friendId, GAP_WAIT_MS, GAP_RETRY_MAX_MS, () => {
            if (this.delivering) this.apply(session, friendId, session.order(friendId).timedOut());
          });
          break;
        case 'read':
          session.queueRead(friendId);
          this.pump(session);
          break;
      }
    }
  }

  write(session: SocketSession, friendId: number, m: DeliveryMessage): void {
    const socket = session.socket;
    // A legacy app shows every frame as the friend's words: the user's own message is not sent
    // to its other legacy sockets (its position passes all the same), unless the operator asks.
    if (m.senderId === socket.userId && socket.version !== 2 && !this.config.legacyEcho) return;
    if (!socket.send({ type: 'message', message: m })) return session.writeLost(friendId, m.seq);
    this.metrics.messagesOut.inc();
    if (m.acceptedAt && session.phase === 'live') this.metrics.deliveryLatency.observe((Date.now() - m.acceptedAt) / 1000);
    if (m.senderId !== socket.userId) {
      const ledger = session.confirmations();
      ledger.written(friendId);
      if (m.receipts) ledger.wantsReceipts(friendId);
      this.confirmations.schedule(session);
    }
    if (socket.overBudget && !session.isLagging) this.lag(session);
  }

  /** Runs the socket's reads one at a time, while it has room in its send budget. */
  pump(session: SocketSession): void {
    if (!this.delivering) return;
    const friendId = session.takeRead();
    if (friendId === undefined) return;
    const state = session.order(friendId).state;
    if (state.kind !== 'reading') return this.pump(session);
    session.readRunning = true;
    this.read(session, friendId, state.from, state.to)
      .then((result) => {
        if (session.phase === 'closed') return;
        session.readOutcome(friendId, false);
        if (!result.friendOnly && session.ownSends(false)?.park(friendId, result)) return;
        this.apply(session, friendId, session.order(friendId).readDone(result));
      })
      .catch((e: unknown) => {
        if (session.phase === 'closed') return;
        this.throttled.warn('read', `reading positions ${state.from}..${state.to} of a conversation of user ${session.userId} failed: ${String(e)}`);
        // Counted before the order answers: its gap timer backs off by the failures.
        session.readOutcome(friendId, true);
        this.apply(session, friendId, session.order(friendId).readFailed());
      })
      .finally(() => {
        session.readRunning = false;
        setImmediate(() => this.pump(session));
      });
  }

  /** One page of positions from..to: the friend's messages only within the offline backlog. */
  private async read(session: SocketSession, friendId: number, from: number, to: number): Promise<ReadResult<DeliveryMessage> & { friendOnly: boolean }> {
    const userId = session.userId;
    const backlogTo = session.backlogTo(friendId);
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
    if (coveredTo >= backlogTo) session.backlogRead(friendId);
    // Whether the sender of a stored message reads delivered receipts is not stored: messages
    // from the database (the offline backlog, gaps) get their receipt; a legacy sender's sockets
    // never receive typed frames, so it costs a publish, not a frame.
    if (rows.some((r) => r.senderId === friendId)) session.confirmations().wantsReceipts(friendId);
    return { rows: rows.map((r) => ({ seq: r.seq, message: r })), coveredTo, friendOnly };
  }

  // ---------------------------------------------------------------- slow readers

  /** Over its send budget: nothing more is written or held until it drains; too long, and it is closed. */
  private lag(session: SocketSession): void {
    const ms = this.config.slowReaderMs;
    session.lag(ms, () => {
      this.metrics.slowReaders.inc();
      this.logger.warn(`closing a socket of user ${session.userId}: it has not read for ${ms} ms`);
      session.socket.close(1008, `not reading: the send buffer stayed full for ${ms} ms`);
    });
  }

  drained(session: SocketSession): void {
    for (const [friendId, order] of session.drained()) this.apply(session, friendId, order.resume());
    this.pump(session);
  }
}
