// Services throw DomainError with a code; each transport (HTTP envelope, WebSocket error frame)
// maps the code to its own shape, so the same service serves both.

import { ErrorCode } from '@app/protocol-constants';

// The codes live with the other constants the web client shares (libs/protocol-constants).
export { ErrorCode };

/** Messages the legacy apps match on, kept to the byte. */
export const LegacyMessages = {
  notLoggedIn: '用户未登录',
  userNotFound: '用户不存在',
  noRecords: '不存在记录',
} as const;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static unauthenticated(): DomainError {
    return new DomainError(ErrorCode.Unauthenticated, LegacyMessages.notLoggedIn);
  }
}
