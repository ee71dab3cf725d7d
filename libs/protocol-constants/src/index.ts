// What the chat server and the web client must agree on, in one module both build from: the
// subprotocol names, the error codes of refusal frames and HTTP envelopes, the text limit, and
// which codes answer a `read` or may work when sent again. No decorators, no Node APIs: Vite
// bundles it into the browser client as it is (alias @app/protocol-constants in both builds).

/** The WebSocket subprotocol that selects protocol v2 (docs/protocol.md). */
export const CHAT_V2_PROTOCOL = 'chat.v2';

/** The subprotocol prefix that carries a token at the upgrade: `chat.token.<jwt>`, offered beside chat.v2. */
export const TOKEN_PROTOCOL_PREFIX = 'chat.token.';

/** Longest message text by default, in code points: the legacy `message.text` column holds 500. */
export const TEXT_MAX_LENGTH = 500;

/** Codes of refusals: services throw them, each transport maps them to its own shape. */
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
  Blocked = 'BLOCKED',
  NotFriends = 'NOT_FRIENDS',
  LoginFailed = 'LOGIN_FAILED',
  TooManyAttempts = 'TOO_MANY_ATTEMPTS',
  PhoneTaken = 'PHONE_TAKEN',
  Incomplete = 'INCOMPLETE',
  WrongCode = 'WRONG_CODE',
  PasswordPolicy = 'PASSWORD_POLICY',
  RegistrationClosed = 'REGISTRATION_CLOSED',
  NotFollowing = 'NOT_FOLLOWING',
  NoFriends = 'NO_FRIENDS',
  Internal = 'INTERNAL',
}

/** Error codes that answer a `read` frame, never a message. */
export const READ_ERROR_CODES: ReadonlySet<string> = new Set<string>([ErrorCode.ReadPastEnd, ErrorCode.NotInConversation]);

/** Error codes after which sending the same frame again may work. */
export const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set<string>([ErrorCode.RateLimited, ErrorCode.StoreUnavailable, ErrorCode.Internal]);
