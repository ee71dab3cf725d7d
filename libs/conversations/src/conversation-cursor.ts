import { DomainError, ErrorCode } from '@app/common';

// The conversation list's cursor is opaque to clients: the position in the list it stands for
// (the last message id of the previous page's last conversation) may change form later.

const PREFIX = 'c1.';

export function encodeListCursor(lastMessageId: number): string {
  return Buffer.from(`${PREFIX}${lastMessageId}`, 'utf8').toString('base64url');
}

/** The position a cursor stands for; a cursor this server did not make is refused with a reason. */
export function decodeListCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = text.startsWith(PREFIX) && /^\d{1,15}$/.test(text.slice(PREFIX.length)) ? Number(text.slice(PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new DomainError(ErrorCode.InvalidParameter, '参数 cursor 无效：请使用上一页返回的 nextCursor (cursor must be the nextCursor of a previous answer)');
  }
  return id;
}
