// Services throw DomainError with a code; each transport (HTTP envelope, WebSocket error frame)
// maps the code to its own shape, so the same service serves both.

export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  UserNotFound = 'USER_NOT_FOUND',
  NoRecords = 'NO_RECORDS',
  InvalidParameter = 'INVALID_PARAMETER',
  InvalidBody = 'INVALID_BODY',
  InvalidFrame = 'INVALID_FRAME',
  TextEmpty = 'TEXT_EMPTY',
  TextTooLong = 'TEXT_TOO_LONG',
  SenderMismatch = 'SENDER_MISMATCH',
  TextInvalid = 'TEXT_INVALID',
  RecipientIsSender = 'RECIPIENT_IS_SENDER',
  ClientMsgIdReused = 'CLIENT_MSG_ID_REUSED',
  UnknownType = 'UNKNOWN_TYPE',
  NotInConversation = 'NOT_IN_CONVERSATION',
  ReadPastEnd = 'READ_PAST_END',
  BinaryFrame = 'BINARY_FRAME',
  RateLimited = 'RATE_LIMITED',
  StoreUnavailable = 'STORE_UNAVAILABLE',
  UploadMissingFile = 'UPLOAD_MISSING_FILE',
  UploadNotImage = 'UPLOAD_NOT_IMAGE',
  UploadTooLarge = 'UPLOAD_TOO_LARGE',
  UploadInvalid = 'UPLOAD_INVALID',
  Internal = 'INTERNAL',
}

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
