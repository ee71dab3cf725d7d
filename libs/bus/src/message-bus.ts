// The bus carries stored messages between gateway replicas. The database stays the source of
// truth: a bus may drop what is published while it is cut off, and says so through onResync so
// the gateway can re-read what its sockets missed.

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

/** A stored message as it travels to the replicas holding its recipient's or sender's sockets. */
export interface BusMessage {
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
  /** Epoch ms when the gateway received the frame (delivery latency metric). */
  acceptedAt?: number;
}

/** Called for each message routed to a user this process subscribed to. */
export type BusMessageHandler = (userId: number, message: BusMessage) => void;

export interface MessageBus {
  /** Route `message` to every replica holding a socket of any of `userIds`. */
  publish(userIds: readonly number[], message: BusMessage): Promise<void>;
  /** Start receiving messages for `userId`; resolves once the subscription is live. */
  subscribe(userId: number): Promise<void>;
  /** Stop receiving messages for `userId`. */
  unsubscribe(userId: number): Promise<void>;
  /** The process-wide handler for incoming messages (one per process). */
  onMessage(handler: BusMessageHandler): void;
  /**
   * Called after the bus lost its subscriptions and got them back: anything published meanwhile
   * may be lost, so holders of sockets re-read from the database.
   */
  onResync(handler: () => void): void;
  /** True while subscriptions are live (readiness). */
  isLive(): boolean;
  close(): Promise<void>;
}
