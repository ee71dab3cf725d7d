import type { FrameMessage } from '../protocol/frame-codec';
import type { ChatSocket } from './chat-socket';
import { Arrival, ConversationOrder, ReadResult } from './conversation-order';
import { LazyMap, LazySet } from './lazy-collections';

export type SessionPhase = 'attaching' | 'live' | 'closed';

/** Receipts kept for a socket still attaching (one per conversation and kind; beyond, dropped: the conversation list has the positions). */
const HELD_RECEIPTS_MAX = 1000;

/**
 * Delivery's state for one socket: where each of its user's conversations stands on it, what it
 * is reading, what it has confirmed. Conversations without activity since the socket attached are
 * a number each (the first position it has not had); an order object exists only for those that
 * moved. Each collection is made when first used: most of them stay unused on an idle socket.
 */
export class SocketSession {
  phase: SessionPhase = 'attaching';
  /** Events that arrived before the socket knew where its conversations start (replayed after). */
  early: { friendId: number; arrival: Arrival<FrameMessage> }[] = [];
  /** Too many early events to keep: re-read everything once attached. */
  earlyOverflow = false;
  /** Receipts that came while attaching, the latest of each kind (by what it supersedes), for after the backlog. */
  private heldReceipts?: Map<string, string>;
  /** The bus came back while attaching: re-read once attached. */
  resyncAfterAttach = false;
  /** Over its send budget: every conversation lags until the socket drains. */
  lagging = false;
  /** A write without a position found the socket closed: none of its positions count at close. */
  writeFailed = false;
  /**
   * Per friend: a write found the socket closed (the client's close handshake had begun) at the
   * position after this one, though the order had moved on: at close, the position counts up to here only.
   */
  get writeCaps(): LazyMap<number, number> {
    return (this.lazyWriteCaps ??= new LazyMap<number, number>());
  }
  private lazyWriteCaps?: LazyMap<number, number>;

  holdReceipt(key: string, frame: string): void {
    const held = (this.heldReceipts ??= new Map());
    held.delete(key);
    if (held.size < HELD_RECEIPTS_MAX) held.set(key, frame);
  }

  /** The held receipts in the order they came (each kind at its latest), and none held after. */
  takeHeldReceipts(): string[] {
    const frames = this.heldReceipts ? [...this.heldReceipts.values()] : [];
    this.heldReceipts = undefined;
    return frames;
  }

  private get starts(): LazyMap<number, number> {
    return (this.lazyStarts ??= new LazyMap<number, number>());
  }
  private lazyStarts?: LazyMap<number, number>;
  private get orders(): LazyMap<number, ConversationOrder<FrameMessage>> {
    return (this.lazyOrders ??= new LazyMap<number, ConversationOrder<FrameMessage>>());
  }
  private lazyOrders?: LazyMap<number, ConversationOrder<FrameMessage>>;
  /** Per friend: reads up to here take only the friend's messages (the offline backlog bound). */
  get backlogTo(): LazyMap<number, number> {
    return (this.lazyBacklogTo ??= new LazyMap<number, number>());
  }
  private lazyBacklogTo?: LazyMap<number, number>;
  /** Per friend: this socket's sends not yet stored (a read must wait for them, see SocketSession.park). */
  private get ownInFlight(): LazyMap<number, number> {
    return (this.lazyOwnInFlight ??= new LazyMap<number, number>());
  }
  private lazyOwnInFlight?: LazyMap<number, number>;
  private get parked(): LazyMap<number, ReadResult<FrameMessage>> {
    return (this.lazyParked ??= new LazyMap<number, ReadResult<FrameMessage>>());
  }
  private lazyParked?: LazyMap<number, ReadResult<FrameMessage>>;
  /** Friends whose messages here asked for delivered receipts (sent from a v2 socket). */
  get receiptsFor(): LazySet<number> {
    return (this.lazyReceiptsFor ??= new LazySet<number>());
  }
  private lazyReceiptsFor?: LazySet<number>;
  /** Per friend: the contiguous position last recorded as delivered from this socket. */
  get confirmed(): LazyMap<number, number> {
    return (this.lazyConfirmed ??= new LazyMap<number, number>());
  }
  private lazyConfirmed?: LazyMap<number, number>;
  /** Conversations whose contiguous position moved since the last confirmation. */
  get unconfirmed(): LazySet<number> {
    return (this.lazyUnconfirmed ??= new LazySet<number>());
  }
  private lazyUnconfirmed?: LazySet<number>;
  /** Gap timers by friend. */
  get timers(): LazyMap<number, NodeJS.Timeout> {
    return (this.lazyTimers ??= new LazyMap<number, NodeJS.Timeout>());
  }
  private lazyTimers?: LazyMap<number, NodeJS.Timeout>;
  /** Friends whose reads wait for their turn; one read at a time per socket. */
  readonly readQueue: number[] = [];
  reading = false;

  constructor(readonly socket: ChatSocket) {}

  get userId(): number {
    return this.socket.userId;
  }

  /** Where the conversations stood when the socket attached: the first position it has not had. */
  setStart(friendId: number, next: number): void {
    this.starts.set(friendId, next);
  }

  /** The conversation's order on this socket; a conversation unknown at attach is new, from position 1. */
  order(friendId: number): ConversationOrder<FrameMessage> {
    let order = this.orders.get(friendId);
    if (!order) {
      order = new ConversationOrder<FrameMessage>(this.starts.get(friendId) ?? 1);
      this.starts.delete(friendId);
      if (this.lagging) order.suspend();
      this.orders.set(friendId, order);
    }
    return order;
  }

  /** The contiguous position of a conversation that counts as received: capped where a write failed. */
  received(friendId: number): number {
    const contiguous = this.order(friendId).contiguous;
    const cap = this.writeCaps.get(friendId);
    return cap === undefined ? contiguous : Math.min(cap, contiguous);
  }

  /** The first position of the conversation the socket has not had. */
  nextOf(friendId: number): number {
    return this.orders.get(friendId)?.next ?? this.starts.get(friendId) ?? 1;
  }

  /** Conversations with an order object (every one that moved since attach). */
  activeOrders(): IterableIterator<[number, ConversationOrder<FrameMessage>]> {
    return this.orders.entries();
  }

  sending(friendId: number): void {
    this.ownInFlight.set(friendId, (this.ownInFlight.get(friendId) ?? 0) + 1);
  }

  /** One send settled; the read parked behind it, if this was the last one, is handed back. */
  settled(friendId: number): ReadResult<FrameMessage> | undefined {
    const left = (this.ownInFlight.get(friendId) ?? 1) - 1;
    if (left > 0) {
      this.ownInFlight.set(friendId, left);
      return undefined;
    }
    this.ownInFlight.delete(friendId);
    const parked = this.parked.get(friendId);
    this.parked.delete(friendId);
    return parked;
  }

  /**
   * A full read returned while this socket's own sends to the friend are unsettled: one of its
   * rows may be such a send, which must never be echoed, so it waits until they settle.
   */
  park(friendId: number, result: ReadResult<FrameMessage>): boolean {
    if (!this.ownInFlight.get(friendId)) return false;
    this.parked.set(friendId, result);
    return true;
  }

  clearTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
