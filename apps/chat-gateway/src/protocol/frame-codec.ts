import { DomainError, ErrorCode, LegacyMessages } from '@app/common';
import type { FrameMessage, ProtocolVersion } from './events';

export type { FrameMessage, ProtocolVersion } from './events';

// The WebSocket wire format (CONTRACT sections 1 and 4): what clients send, what they get back.
// Legacy sockets get exactly the legacy frames; v2 sockets (chat.v2 / ?v=2) get the additive
// fields and the typed server frames. Nothing typed is ever encoded for a legacy socket.

/** A send command read from a client frame. */
export interface SendCommand {
  to: number;
  text: string;
  clientMsgId?: string;
}

export type ClientFrame =
  | { type: 'heartbeat' }
  | { type: 'send'; command: SendCommand }
  | { type: 'read'; friendId: number; seq: number; clientMsgId?: string }
  | { type: 'typing'; friendId: number; clientMsgId?: string };

export interface FrameRules {
  userId: number;
  textMaxLength: number;
  /** Empty: keep-alive switched off. */
  heartbeatText: string;
}

/** A refused frame: the reason goes back to the sender in the legacy error frame. */
export class FrameError extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    /** The frame's recipient when it could be read, echoed in the error frame. */
    readonly to: number | null,
    /** The frame's clientMsgId when it could be read, echoed in the error frame. */
    readonly clientMsgId?: string,
  ) {
    super(code, message);
  }
}

const CLIENT_MSG_ID = /^[\x21-\x7e]{1,64}$/;
/**
 * A text made only of these shows nothing: white space, control and invisible format characters
 * (ZWSP, ZWJ, BOM, ...), combining marks with nothing to combine with, and the characters fonts
 * draw as blanks (the Hangul fillers, the blank Braille pattern).
 */
const INVISIBLE_ONLY = /^(?:[\s\p{Cc}\p{Cf}\p{M}\u3164\uffa0\u2800]|\u115f|\u1160)*$/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Ids arrive as numbers (Android) or numeric strings (iOS): digits only, as Integer.parseInt read them. */
export function readId(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) {
    const n = Number(value);
    return n > 0 ? n : null;
  }
  return null;
}

/** A clientMsgId as the frame gave it, if it is one (a number is read as its decimal string). */
function readClientMsgId(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof id === 'string' && CLIENT_MSG_ID.test(id) ? id : null;
}

export function parseFrame(raw: string, rules: FrameRules): ClientFrame {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new FrameError(ErrorCode.InvalidFrame, '消息格式错误：不是合法的 JSON (frame is not valid JSON)', null);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FrameError(
      ErrorCode.InvalidFrame,
      '消息格式错误：应为 JSON 对象 {"senderId","to","text"} (frame must be a JSON object)',
      null,
    );
  }
  const frame = body as Record<string, unknown>;
  if (frame.type !== undefined) return parseTypedFrame(frame);
  return parseSend(frame, rules);
}

function parseTypedFrame(frame: Record<string, unknown>): ClientFrame {
  const friendId = readId(frame.friendId);
  // Every refusal answers with the frame's clientMsgId and its other party (`to` in the error frame).
  const { to, clientMsgId } = echoOf(frame);
  const withId = clientMsgId === undefined ? {} : { clientMsgId };
  switch (frame.type) {
    case 'read': {
      if (friendId === null) throw new FrameError(ErrorCode.InvalidFrame, '"friendId" 必须是正整数 (friendId must be a positive integer user id)', to, clientMsgId);
      const seq = frame.seq;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
        throw new FrameError(ErrorCode.InvalidFrame, '"seq" 必须是正整数 (seq must be a positive integer position)', friendId, clientMsgId);
      }
      return { type: 'read', friendId, seq, ...withId };
    }
    case 'typing':
      if (friendId === null) throw new FrameError(ErrorCode.InvalidFrame, '"friendId" 必须是正整数 (friendId must be a positive integer user id)', to, clientMsgId);
      return { type: 'typing', friendId, ...withId };
    default:
      throw new FrameError(
        ErrorCode.UnknownType,
        `不支持的消息类型 (unknown frame type ${JSON.stringify(frame.type).slice(0, 40)}; known: read, typing, or no type for a chat message)`,
        to,
        clientMsgId,
      );
  }
}

/**
 * What an error frame answering this client frame carries back: its other party (`to`, or a
 * typed frame's `friendId`) and its clientMsgId, each when it is readable.
 */
function echoOf(frame: Record<string, unknown>): { to: number | null; clientMsgId?: string } {
  const to = readId(frame.to) ?? readId(frame.friendId);
  const clientMsgId = readClientMsgId(frame.clientMsgId) ?? undefined;
  return clientMsgId === undefined ? { to } : { to, clientMsgId };
}

/** The same for a frame that is refused before it is parsed (e.g. at shutdown): nothing when it is not a JSON object. */
export function echoOfRaw(raw: string | null): { to: number | null; clientMsgId?: string } {
  if (raw === null) return { to: null };
  try {
    const body: unknown = JSON.parse(raw);
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return echoOf(body as Record<string, unknown>);
  } catch {
    // not JSON: nothing to carry back
  }
  return { to: null };
}

function parseSend(frame: Record<string, unknown>, rules: FrameRules): ClientFrame {
  const to = readId(frame.to);
  const text = frame.text;

  // The iOS keep-alive is a chat message with the text `heart`: neither stored nor forwarded.
  if (rules.heartbeatText && text === rules.heartbeatText) return { type: 'heartbeat' };

  // Read first, so that every refusal below can carry it back.
  const clientMsgId = readClientMsgId(frame.clientMsgId);
  const echo = clientMsgId ?? undefined;
  if (frame.to === undefined || frame.to === null || frame.to === '') {
    throw new FrameError(ErrorCode.InvalidFrame, '缺少接收者：请在 "to" 中填写好友的用户 id (missing "to")', null, echo);
  }
  if (to === null) {
    throw new FrameError(
      ErrorCode.InvalidFrame,
      '接收者 id 无效："to" 必须是正整数 (the "to" field must be a positive integer user id)',
      null,
      echo,
    );
  }
  if (clientMsgId === null) {
    throw new FrameError(
      ErrorCode.InvalidFrame,
      '"clientMsgId" 无效：应为 1 到 64 个可见 ASCII 字符 (clientMsgId must be 1-64 printable ASCII characters)',
      to,
    );
  }
  if (frame.senderId !== undefined && frame.senderId !== null && frame.senderId !== '') {
    if (readId(frame.senderId) !== rules.userId) {
      throw new FrameError(
        ErrorCode.SenderMismatch,
        '发送者不符："senderId" 必须是当前连接的用户 id (senderId does not match the connected user)',
        to,
        echo,
      );
    }
  }
  if (to === rules.userId) {
    throw new FrameError(ErrorCode.RecipientIsSender, '不能给自己发消息 (the recipient is the sender; a conversation needs two users)', to, echo);
  }
  if (typeof text !== 'string') {
    throw new FrameError(ErrorCode.TextEmpty, '消息内容缺失："text" 必须是字符串 (missing "text")', to, echo);
  }
  // NUL ends a C string: the same text would read differently to different consumers.
  if (text.includes('\0')) {
    throw new FrameError(ErrorCode.TextInvalid, '消息内容无效：含有空字符 (the text holds a NUL character)', to, echo);
  }
  if (INVISIBLE_ONLY.test(text)) {
    throw new FrameError(ErrorCode.TextEmpty, '消息内容不能为空 (the text is empty or shows nothing)', to, echo);
  }
  // Storage (UTF-8) would turn a lone surrogate into U+FFFD: refused, so live and history agree.
  if (LONE_SURROGATE.test(text)) {
    throw new FrameError(ErrorCode.TextInvalid, '消息内容无效：含有不成对的代理字符 (the text holds an unpaired UTF-16 surrogate)', to, echo);
  }
  // Characters as the database counts them: code points, so an emoji is one.
  const length = [...text].length;
  if (length > rules.textMaxLength) {
    throw new FrameError(
      ErrorCode.TextTooLong,
      `消息过长：最多 ${rules.textMaxLength} 个字符，当前 ${length} 个 (text is longer than ${rules.textMaxLength} characters)`,
      to,
      echo,
    );
  }
  return { type: 'send', command: clientMsgId === undefined ? { to, text } : { to, text, clientMsgId } };
}

// ------------------------------------------------------------------ server frames

/** The legacy error frame, exactly as the old server shaped it, plus `code` and the frame's clientMsgId. */
export function errorFrame(to: number | null, reason: string, createTime: string, code: string, clientMsgId?: string) {
  const frame: { id: null; sender: 0; to: number | null; text: string; createTime: string; code: string; clientMsgId?: string } = {
    id: null,
    sender: 0,
    to,
    text: reason,
    createTime,
    code,
  };
  if (clientMsgId !== undefined) frame.clientMsgId = clientMsgId;
  return frame;
}

export function binaryFrameError(createTime: string) {
  return errorFrame(
    null,
    '不支持二进制消息：请发送 JSON 文本帧 (binary frames are not supported; send a JSON text frame)',
    createTime,
    ErrorCode.BinaryFrame,
  );
}

export function unknownRecipientFrame(to: number, createTime: string, clientMsgId?: string) {
  return errorFrame(to, LegacyMessages.userNotFound, createTime, ErrorCode.UserNotFound, clientMsgId);
}

/** What a recipient gets: the legacy `{sender, text, time}` first, then additive fields; v2 adds seq and clientMsgId. */
export function messageFrame(m: FrameMessage, version: ProtocolVersion = 1) {
  const legacy = { sender: m.senderName, text: m.text, time: m.time, id: m.id, senderId: m.senderId, to: m.to };
  if (version === 1) return legacy;
  return { ...legacy, seq: m.seq, ...(m.clientMsgId === undefined ? {} : { clientMsgId: m.clientMsgId }) };
}

/** Sent to senders that gave a clientMsgId (legacy apps never do); v2 adds seq. */
export function ackFrame(clientMsgId: string, m: { id: number; time: string; seq?: number }, version: ProtocolVersion = 1) {
  const ack = { type: 'ack' as const, clientMsgId, id: m.id, time: m.time };
  return version === 1 ? ack : { ...ack, seq: m.seq };
}

/** v2 only: `by` read the conversation with `friendId` (the other party, seen from the receiving socket) up to `seq`. */
export function readFrame(friendId: number, by: number, seq: number, time: string) {
  return { type: 'read' as const, friendId, by, seq, time };
}

/** v2 only: a device of `friendId` has received the conversation up to `seq`. */
export function deliveredFrame(friendId: number, seq: number) {
  return { type: 'delivered' as const, friendId, seq };
}

/** v2 only: `friendId` is typing (expires on the client after 5 s). */
export function typingFrame(friendId: number) {
  return { type: 'typing' as const, friendId };
}

/** What a handler answers on the socket a frame came from: a refusal or an ack. */
export type ReplyFrame = ReturnType<typeof errorFrame> | ReturnType<typeof ackFrame>;
