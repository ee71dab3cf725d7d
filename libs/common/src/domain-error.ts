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

/** Messages the legacy apps match on, kept to the byte. */
export const LegacyMessages = {
  notLoggedIn: '用户未登录',
  userNotFound: '用户不存在',
  noRecords: '不存在记录',
  loginOk: '登录成功',
  loginFailed: '账号或密码错误',
  tooManyAttempts: '尝试次数过多，请稍后再试',
  registered: '注册成功',
  phoneTaken: '手机号码已存在',
  incomplete: '信息不完全',
  wrongCode: '验证码错误',
  codeSent: '发送成功',
  codeNotSent: '发送失败',
  infoUpdated: '更新信息成功',
  loggedOut: '注销成功',
  followed: '关注成功',
  unfollowed: '取关成功',
  unfollowFailed: '取关失败',
  mutual: '互相关注',
  following: '已关注',
  notFollowing: '未关注',
  noFriends: '好友数量为零',
  blocked: '消息已发出，但被对方拒收了',
  notFriends: '对方不是你的好友',
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
