import { DomainError, ErrorCode, LegacyMessages } from '@app/common';
import type { StoredMessage } from '@app/database';

// The WebSocket wire format (CONTRACT section 1): what clients send and what they get back.

/** A send command read from a client frame. */
export interface SendCommand {
  to: number;
  text: string;
  clientMsgId?: string;
}

export type ParsedFrame = { kind: 'heartbeat' } | { kind: 'send'; command: SendCommand };

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
  ) {
    super(code, message);
  }
}

const CLIENT_MSG_ID = /^[\x21-\x7e]{1,64}$/;

/** Ids arrive as numbers (Android) or numeric strings (iOS). */
export function readId(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value)) {
    const n = Number(value);
    return n > 0 ? n : null;
  }
  return null;
}

export function parseFrame(raw: string, rules: FrameRules): ParsedFrame {
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
  const to = readId(frame.to);
  const text = frame.text;

  // The iOS keep-alive is a chat message with the text `heart`: neither stored nor forwarded.
  if (rules.heartbeatText && text === rules.heartbeatText) return { kind: 'heartbeat' };

  if (frame.to === undefined || frame.to === null || frame.to === '') {
    throw new FrameError(ErrorCode.InvalidFrame, '缺少接收者：请在 "to" 中填写好友的用户 id (missing "to")', null);
  }
  if (to === null) {
    throw new FrameError(
      ErrorCode.InvalidFrame,
      '接收者 id 无效："to" 必须是正整数 (the "to" field must be a positive integer user id)',
      null,
    );
  }
  if (frame.senderId !== undefined && frame.senderId !== null && frame.senderId !== '') {
    if (readId(frame.senderId) !== rules.userId) {
      throw new FrameError(
        ErrorCode.SenderMismatch,
        '发送者不符："senderId" 必须是当前连接的用户 id (senderId does not match the connected user)',
        to,
      );
    }
  }
  if (typeof text !== 'string') {
    throw new FrameError(ErrorCode.TextEmpty, '消息内容缺失："text" 必须是字符串 (missing "text")', to);
  }
  if (text.trim() === '') {
    throw new FrameError(ErrorCode.TextEmpty, '消息内容不能为空 (the text is empty)', to);
  }
  // Characters as the database counts them: code points, so an emoji is one.
  const length = [...text].length;
  if (length > rules.textMaxLength) {
    throw new FrameError(
      ErrorCode.TextTooLong,
      `消息过长：最多 ${rules.textMaxLength} 个字符，当前 ${length} 个 (text is longer than ${rules.textMaxLength} characters)`,
      to,
    );
  }
  let clientMsgId: string | undefined;
  if (frame.clientMsgId !== undefined && frame.clientMsgId !== null) {
    const id = typeof frame.clientMsgId === 'number' ? String(frame.clientMsgId) : frame.clientMsgId;
    if (typeof id !== 'string' || !CLIENT_MSG_ID.test(id)) {
      throw new FrameError(
        ErrorCode.InvalidFrame,
        '"clientMsgId" 无效：应为 1 到 64 个可见 ASCII 字符 (clientMsgId must be 1-64 printable ASCII characters)',
        to,
      );
    }
    clientMsgId = id;
  }
  return { kind: 'send', command: { to, text, clientMsgId } };
}

/** The legacy error frame, exactly as the old server shaped it, plus an additive `code`. */
export function errorFrame(to: number | null, reason: string, createTime: string, code: string) {
  return { id: null, sender: 0, to, text: reason, createTime, code };
}

export function binaryFrameError(createTime: string) {
  return errorFrame(
    null,
    '不支持二进制消息：请发送 JSON 文本帧 (binary frames are not supported; send a JSON text frame)',
    createTime,
    ErrorCode.BinaryFrame,
  );
}

export function unknownRecipientFrame(to: number, createTime: string) {
  return errorFrame(to, LegacyMessages.userNotFound, createTime, ErrorCode.UserNotFound);
}

/** What a recipient gets: the legacy `{sender, text, time}` first, then additive fields. */
export function messageFrame(m: StoredMessage & { senderName: string }) {
  return { sender: m.senderName, text: m.text, time: m.time, id: m.id, senderId: m.senderId, to: m.to };
}

/** Sent to modern clients only (those that put a clientMsgId in their frame). */
export function ackFrame(clientMsgId: string, m: StoredMessage) {
  return { type: 'ack', clientMsgId, id: m.id, time: m.time };
}
