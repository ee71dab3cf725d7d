// The bus carries events between gateway replicas: stored messages, and the receipts and typing
// notices of protocol v2. The database stays the source of truth: a bus may drop what is
// published while it is cut off, and says so through onResync so the gateway can re-read what
// its sockets missed. Receipts and typing notices are not re-read: a lost one is superseded by
// the next (positions only move forward) or expires (typing).

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

/** A stored message as it travels to the replicas holding its recipient's or sender's sockets. */
export interface BusMessage {
  type: 'message';
  id: number;
  senderId: number;
  to: number;
  /** The sender's user.name at send time (the legacy `sender` field). */
  senderName: string;
  text: string;
  /** `yyyy-MM-dd HH:mm:ss` in the chat time zone. */
  time: string;
  /** `<instanceId>/<socketSeq>` of the socket that sent it, which must not get it back. */
  originSocket?: string;
  /** Position in its conversation (1-based): lets a receiver put a conversation back in order. */
  seq?: number;
  /** The sender's idempotency key, for the sender's other devices to match their local echo. */
  clientMsgId?: string;
  /** Sent from a protocol v2 socket: its sender wants delivered receipts (legacy senders cannot read them). */
  receipts?: true;
  /** Epoch ms when the gateway received the frame (delivery latency metric). */
  acceptedAt?: number;
}

/** `by` has read the conversation with `friendId` up to position `seq`. */
export interface BusRead {
  type: 'read';
  by: number;
  friendId: number;
  seq: number;
  time: string;
  originSocket?: string;
}

/** The devices of `by` have received the conversation with `friendId` up to position `seq`. */
export interface BusDelivered {
  type: 'delivered';
  by: number;
  friendId: number;
  seq: number;
}

/** `by` is typing to `friendId`. Never stored. */
export interface BusTyping {
  type: 'typing';
  by: number;
  friendId: number;
}

export type BusEvent = BusMessage | BusRead | BusDelivered | BusTyping;

/** Called for each event routed to a user this process subscribed to. */
export type BusEventHandler = (userId: number, event: BusEvent) => void;

export interface MessageBus {
  /** Route `event` to every replica holding a socket of any of `userIds`. */
  publish(userIds: readonly number[], event: BusEvent): Promise<void>;
  /** Start receiving events for `userId`; resolves once the subscription is live. */
  subscribe(userId: number): Promise<void>;
  /** Stop receiving events for `userId`. */
  unsubscribe(userId: number): Promise<void>;
  /** The process-wide handler for incoming events (one per process). */
  onEvent(handler: BusEventHandler): void;
  /**
   * Asks every other replica holding a socket of `userId` to confirm what those sockets were sent
   * and to record it (the handler of onConfirmRequest); resolves once each has answered, or after
   * `timeoutMs` (a replica that does not answer in time costs repeats, never a loss).
   */
  confirmPeers(userId: number, timeoutMs: number): Promise<void>;
  /** What this replica does when another asks it to confirm a user's sockets (one per process). */
  onConfirmRequest(handler: (userId: number) => Promise<void>): void;
  /**
   * Called after the bus lost its subscriptions and got them back: anything published meanwhile
   * may be lost, so holders of sockets re-read from the database.
   */
  onResync(handler: () => void): void;
  /** True while subscriptions are live (readiness). */
  isLive(): boolean;
  close(): Promise<void>;
}
