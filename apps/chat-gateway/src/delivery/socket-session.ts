import type { FrameMessage, ServerEvent } from '../protocol/events';
import type { ChatSocket } from './chat-socket';
import { ConfirmationLedger } from './confirmation-ledger';
import { Arrival, ConversationOrder } from './conversation-order';
import { deleteIn, setIn } from './lazy-collections';
import { OwnSends } from './own-sends';

export type SessionPhase = 'attaching' | 'live' | 'closed';
/** A message as delivery carries it: from the bus (with its sender's wishes) or from the database. */
export type DeliveryMessage = FrameMessage & { acceptedAt?: number; receipts?: true };
type Early = { friendId: number; arrival: Arrival<DeliveryMessage> };

/** Receipts kept for a socket still attaching (one per conversation and kind; beyond, dropped: the conversation list has the positions). */
const HELD_RECEIPTS_MAX = 1000;
/** Events kept for a socket that is still attaching; beyond that it re-reads once attached. */
const EARLY_MAX = 1000;

/**
 * Everything delivery knows of one socket, behind methods: where each of its user's conversations
 * stands on it (a number each until one moves, then an order object), what arrived while it
 * attached, what it reads and how often that failed, its gap and slow-reader timers, its own
 * sends in flight (OwnSends: the echo rule) and its confirmations (ConfirmationLedger). Services
 * ask and tell; none changes a field. Every collection and part is made on first write, and a
 * collection is dropped when emptied: an idle socket has none.
 */
export class SocketSession {
  private state: SessionPhase = 'attaching';
  private early?: Early[];
  private earlyOverflow = false;
  private resyncAfterAttach = false;
  private heldReceipts?: Map<string, ServerEvent>;
  private lagging = false;
  private slowTimer?: NodeJS.Timeout;
  /** A write without a position found the socket closed: none of its positions count at close. */
  private writeFailed = false;
  /** Per friend: a write found the socket closed at the position after this one: the position counts up to here only. */
  private writeCaps?: Map<number, number>;
  private starts?: Map<number, number>;
  private orders?: Map<number, ConversationOrder<DeliveryMessage>>;
  /** Per friend: reads up to here take only the friend's messages (the offline backlog bound). */
  private backlog?: Map<number, number>;
  private own?: OwnSends<DeliveryMessage>;
  private ledger?: ConfirmationLedger;
  private gapTimers?: Map<number, NodeJS.Timeout>;
  private readFailures?: Map<number, number>;
  /** Friends whose reads wait for their turn; one read at a time per socket. */
  private readQueue?: number[];
  private reading = false;

  constructor(readonly socket: ChatSocket) {}

  get userId(): number {
    return this.socket.userId;
  }
  get phase(): SessionPhase {
    return this.state;
  }
  get isLagging(): boolean {
    return this.lagging;
  }


  /** Where a conversation stood at attach (the first position not had), and where its offline backlog ends, if any. */
  start(friendId: number, next: number, backlogTo?: number): void {
    this.starts = setIn(this.starts, friendId, next);
    if (backlogTo !== undefined) this.backlog = setIn(this.backlog, friendId, backlogTo);
  }
  /** Keeps an event that came before the starts were known; false when too many came (re-read once live). */
  keepEarly(friendId: number, arrival: Arrival<DeliveryMessage>): void {
    if ((this.early ??= []).length < EARLY_MAX) this.early.push({ friendId, arrival });
    else this.earlyOverflow = true;
  }
  holdReceipt(key: string, receipt: ServerEvent): void {
    const held = (this.heldReceipts ??= new Map());
    held.delete(key);
    if (held.size < HELD_RECEIPTS_MAX) held.set(key, receipt);
  }
  /** The bus came back while attaching: re-read once live. */
  resyncOnceLive(): void {
    this.resyncAfterAttach = true;
  }
  /** Live: hands back what waited (backlog ends, early events, held receipts) and whether to re-read everything. */
  goLive(): { backlog: [number, number][]; early: Early[]; receipts: ServerEvent[]; resync: boolean } {
    this.state = 'live';
    const taken = {
      backlog: [...(this.backlog ?? [])],
      early: this.early ?? [],
      receipts: [...(this.heldReceipts?.values() ?? [])],
      resync: this.earlyOverflow || this.resyncAfterAttach,
    };
    this.early = this.heldReceipts = undefined;
    return taken;
  }
  /** Closed: timers stopped; true if its positions may count (nothing written was lost). */
  close(): boolean {
    this.state = 'closed';
    for (const t of this.gapTimers?.values() ?? []) clearTimeout(t);
    this.gapTimers = undefined;
    clearTimeout(this.slowTimer);
    return !this.writeFailed;
  }


  /** The conversation's order on this socket; a conversation unknown at attach is new, from position 1. */
  order(friendId: number): ConversationOrder<DeliveryMessage> {
    let order = this.orders?.get(friendId);
    if (!order) {
      order = new ConversationOrder<DeliveryMessage>(this.starts?.get(friendId) ?? 1);
      this.starts = deleteIn(this.starts, friendId);
      if (this.lagging) order.suspend();
      this.orders = setIn(this.orders, friendId, order);
    }
    return order;
  }
  /** The first position of the conversation the socket has not had. */
  nextOf(friendId: number): number {
    return this.orders?.get(friendId)?.next ?? this.starts?.get(friendId) ?? 1;
  }
  /** The contiguous position of a conversation that counts as received: capped where a write failed. */
  received(friendId: number): number {
    const contiguous = this.order(friendId).contiguous;
    const cap = this.writeCaps?.get(friendId);
    return cap === undefined ? contiguous : Math.min(cap, contiguous);
  }
  /** A write found the socket closed though the order moved past it: a repeat at the next connect, not a loss. */
  writeLost(friendId: number, seq: number | undefined): void {
    if (seq === undefined) this.writeFailed = true;
    else if (!this.writeCaps?.has(friendId)) this.writeCaps = setIn(this.writeCaps, friendId, seq - 1);
  }


  /** Sets the gap timer unless one runs; the delay grows with the conversation's failed reads. */
  waitForGap(friendId: number, baseMs: number, maxMs: number, fire: () => void): void {
    if (this.gapTimers?.has(friendId)) return;
    const delay = Math.min(maxMs, baseMs * 2 ** (this.readFailures?.get(friendId) ?? 0));
    const timer = setTimeout(() => {
      this.gapTimers = deleteIn(this.gapTimers, friendId);
      if (this.state !== 'closed') fire();
    }, delay);
    timer.unref();
    this.gapTimers = setIn(this.gapTimers, friendId, timer);
  }
  queueRead(friendId: number): void {
    if (!(this.readQueue ??= []).includes(friendId)) this.readQueue.push(friendId);
  }
  /** The next conversation to read, if the socket may read now (live, not lagging, no read running). */
  takeRead(): number | undefined {
    if (this.reading || this.lagging || this.state !== 'live') return undefined;
    const friendId = this.readQueue?.shift();
    if (!this.readQueue?.length) this.readQueue = undefined;
    return friendId;
  }
  /** One read at a time: set while one runs. */
  set readRunning(running: boolean) {
    this.reading = running;
  }
  /** A read's outcome: failures count towards the conversation's gap backoff; a success restarts it. */
  readOutcome(friendId: number, failed: boolean): void {
    this.readFailures = failed ? setIn(this.readFailures, friendId, (this.readFailures?.get(friendId) ?? 0) + 1) : deleteIn(this.readFailures, friendId);
  }
  /** Where the friend-only backlog ends (0: none left). */
  backlogTo(friendId: number): number {
    return this.backlog?.get(friendId) ?? 0;
  }
  backlogRead(friendId: number): void {
    this.backlog = deleteIn(this.backlog, friendId);
  }


  /** Own sends in flight and reads parked behind them (the echo rule); `false`: none if never made. */
  ownSends(make: false): OwnSends<DeliveryMessage> | undefined;
  ownSends(make?: true): OwnSends<DeliveryMessage>;
  ownSends(make = true): OwnSends<DeliveryMessage> | undefined {
    return make ? (this.own ??= new OwnSends<DeliveryMessage>()) : this.own;
  }
  /** Confirmations; `false`: none on a socket never written to. */
  confirmations(make: false): ConfirmationLedger | undefined;
  confirmations(make?: true): ConfirmationLedger;
  confirmations(make = true): ConfirmationLedger | undefined {
    return make ? (this.ledger ??= new ConfirmationLedger()) : this.ledger;
  }


  /** Over its send budget: every conversation suspends; `close` runs if it is still lagging when the timer fires. */
  lag(afterMs: number, close: () => void): void {
    this.lagging = true;
    for (const order of this.orders?.values() ?? []) order.suspend();
    clearTimeout(this.slowTimer);
    this.slowTimer = setTimeout(() => this.lagging && this.state !== 'closed' && close(), afterMs);
    this.slowTimer.unref();
  }
  /** Drained: the conversations to resume (none if it was not lagging or is closed). */
  drained(): [number, ConversationOrder<DeliveryMessage>][] {
    if (!this.lagging || this.state === 'closed') return [];
    this.lagging = false;
    clearTimeout(this.slowTimer);
    return [...(this.orders ?? [])];
  }
}
