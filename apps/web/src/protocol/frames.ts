import { CHAT_V2_PROTOCOL, READ_ERROR_CODES, RETRYABLE_ERROR_CODES, TOKEN_PROTOCOL_PREFIX } from '@app/protocol-constants';

// The chat socket's frames, as the server sends and takes them (docs/protocol.md). Decoding
// never throws: an unexpected frame becomes `unknown`, so a newer server cannot break the client.

/** A chat message: live from the socket, or an item of a history answer. */
export interface WireMessage {
  id?: number;
  senderId?: number;
  to?: number;
  sender: string;
  text: string;
  time: string;
  /** Protocol v2: position in the conversation (1-based, gapless). */
  seq?: number;
  /** Protocol v2: the sender's id for its local echo. */
  clientMsgId?: string;
}

export type ServerFrame =
  | ({ kind: 'message' } & WireMessage)
  | { kind: 'ack'; clientMsgId: string; id: number; time: string; seq?: number }
  | { kind: 'error'; to: number | null; reason: string; code?: string; time?: string; clientMsgId?: string }
  /** Protocol v2: `by` read the conversation with `friendId` up to `seq` (by = me: another tab of mine). */
  | { kind: 'read'; friendId: number; by: number; seq: number; time?: string }
  /** Protocol v2: a device of `friendId` has received the conversation up to `seq`. */
  | { kind: 'delivered'; friendId: number; seq: number }
  /** Protocol v2: `friendId` is typing (expires after TYPING_EXPIRES_MS). */
  | { kind: 'typing'; friendId: number }
  /** A typed frame this client does not know (a newer server's). */
  | { kind: 'typed'; type: string; frame: Record<string, unknown> }
  | { kind: 'unknown'; raw: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads a message object (socket frame or history item); null when it is not one. */
export function readMessage(f: Record<string, unknown>): WireMessage | null {
  const text = str(f.text);
  const sender = str(f.sender);
  const time = str(f.time);
  if (text === undefined || sender === undefined || time === undefined) return null;
  const message: WireMessage = { sender, text, time };
  const id = num(f.id);
  if (id !== undefined) message.id = id;
  const senderId = num(f.senderId);
  if (senderId !== undefined) message.senderId = senderId;
  const to = num(f.to);
  if (to !== undefined) message.to = to;
  const seq = num(f.seq);
  if (seq !== undefined) message.seq = seq;
  const clientMsgId = str(f.clientMsgId);
  if (clientMsgId !== undefined) message.clientMsgId = clientMsgId;
  return message;
}

export function decodeFrame(raw: string): ServerFrame {
  let f: unknown;
  try {
    f = JSON.parse(raw);
  } catch {
    return { kind: 'unknown', raw };
  }
  if (!isRecord(f)) return { kind: 'unknown', raw };
  if (f.type === 'ack') {
    const clientMsgId = str(f.clientMsgId);
    const id = num(f.id);
    if (clientMsgId === undefined || id === undefined) return { kind: 'unknown', raw };
    return { kind: 'ack', clientMsgId, id, time: str(f.time) ?? '', ...(num(f.seq) !== undefined ? { seq: num(f.seq) } : {}) };
  }
  if (typeof f.type === 'string') return decodeTyped(f.type, f, raw);
  // The legacy error shape: {"id":null,"sender":0,"to":..,"text":"<reason>","createTime":..}.
  if (f.id === null && f.sender === 0 && typeof f.text === 'string') {
    return {
      kind: 'error',
      to: num(f.to) ?? null,
      reason: f.text,
      ...(str(f.code) !== undefined ? { code: str(f.code) } : {}),
      ...(str(f.createTime) !== undefined ? { time: str(f.createTime) } : {}),
      ...(str(f.clientMsgId) !== undefined ? { clientMsgId: str(f.clientMsgId) } : {}),
    };
  }
  const message = readMessage(f);
  return message ? { kind: 'message', ...message } : { kind: 'unknown', raw };
}

function decodeTyped(type: string, f: Record<string, unknown>, raw: string): ServerFrame {
  const friendId = num(f.friendId);
  const seq = num(f.seq);
  switch (type) {
    case 'read': {
      const by = num(f.by);
      if (friendId === undefined || by === undefined || seq === undefined) return { kind: 'unknown', raw };
      return { kind: 'read', friendId, by, seq, ...(str(f.time) !== undefined ? { time: str(f.time) } : {}) };
    }
    case 'delivered':
      return friendId === undefined || seq === undefined ? { kind: 'unknown', raw } : { kind: 'delivered', friendId, seq };
    case 'typing':
      return friendId === undefined ? { kind: 'unknown', raw } : { kind: 'typing', friendId };
    default:
      return { kind: 'typed', type, frame: f };
  }
}

/** A chat message to send. `senderId` is left out: the server takes the connection's user. */
export function encodeSend(frame: { to: number; text: string; clientMsgId: string }): string {
  return JSON.stringify({ to: frame.to, text: frame.text, clientMsgId: frame.clientMsgId });
}

/** Protocol v2: the user has read the conversation with `friendId` up to position `seq`. */
export function encodeRead(friendId: number, seq: number): string {
  return JSON.stringify({ type: 'read', friendId, seq });
}

/** Protocol v2: the user is typing to `friendId`. */
export function encodeTyping(friendId: number): string {
  return JSON.stringify({ type: 'typing', friendId });
}

/** The subprotocol a v2 socket is selected with (the server's own constant). */
export const V2_PROTOCOL = CHAT_V2_PROTOCOL;

/** The subprotocol prefix that carries the token beside chat.v2 (`chat.token.<jwt>`). */
export { TOKEN_PROTOCOL_PREFIX };

/** A typing indicator is shown this long after the last `typing` frame. */
export const TYPING_EXPIRES_MS = 5000;

/** Error codes that answer a `read` frame, never a message (shared with the server). */
export const READ_CODES = READ_ERROR_CODES;

/** Error codes after which sending the same frame again may work (shared with the server). */
export const RETRYABLE_CODES = RETRYABLE_ERROR_CODES;
