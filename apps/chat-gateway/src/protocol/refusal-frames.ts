import { Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';
import { errorFrame, FrameError, ReplyFrame, unknownRecipientFrame } from './frame-codec';

const logger = new Logger('ChatRefusals');

/**
 * The WebSocket side of the domain errors: each code becomes the legacy error frame, with the
 * frame's recipient and clientMsgId when known; anything unexpected is logged with its cause and
 * answered generically.
 */
export function refusalFrame(e: unknown, now: string, to: number | null = null, clientMsgId?: string): ReplyFrame {
  if (e instanceof FrameError) return errorFrame(e.to, e.message, now, e.code, e.clientMsgId ?? clientMsgId);
  if (e instanceof DomainError) {
    return e.code === ErrorCode.UserNotFound && to !== null ? unknownRecipientFrame(to, now, clientMsgId) : errorFrame(to, e.message, now, e.code, clientMsgId);
  }
  logger.error(`frame failed: ${e instanceof Error ? e.stack : String(e)}`);
  return errorFrame(to, '服务器内部错误，请重试 (internal error; try again)', now, ErrorCode.Internal, clientMsgId);
}
