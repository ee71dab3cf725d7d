import type { BusMessage } from '@app/bus';

// The vocabulary between the layers, with no encoding in it: what came off the wire, and the
// typed events the core hands to a socket. Only the transport turns events into frames.

/** The protocol a socket asked for at the upgrade: 2 with the `chat.v2` subprotocol or `?v=2`. */
export type ProtocolVersion = 1 | 2;

/** The subprotocol a v2 client offers (the web client and the server build from this name). */
export { CHAT_V2_PROTOCOL } from '@app/protocol-constants';

/** A frame as it came off the wire, with when it came. */
export interface IncomingFrame {
  /** The text; null for a binary frame. */
  raw: string | null;
  receivedAt: number;
  bytes: number;
}

/** A message as a frame needs it: the bus's message without its routing fields. */
export type FrameMessage = Pick<BusMessage, 'id' | 'senderId' | 'to' | 'senderName' | 'text' | 'time' | 'seq' | 'clientMsgId'>;

/**
 * What the core sends to one socket. A message goes to every socket (a legacy one gets the legacy
 * frame); the other events are protocol v2 only and never reach a legacy socket.
 */
export type ServerEvent =
  | { type: 'message'; message: FrameMessage }
  | { type: 'read'; friendId: number; by: number; seq: number; time: string }
  | { type: 'delivered'; friendId: number; seq: number }
  | { type: 'typing'; friendId: number };
