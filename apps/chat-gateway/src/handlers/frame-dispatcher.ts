import { Injectable } from '@nestjs/common';
import { ChatClock, ErrorCode } from '@app/common';
import { ChatConfig } from '@app/config';
import type { IncomingFrame } from '../protocol/events';
import { binaryFrameError, echoOfRaw, errorFrame, parseFrame } from '../protocol/frame-codec';
import { refusalFrame } from '../protocol/refusal-frames';
import { ShutdownState } from '../shared/shutdown-state';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { FrameContext } from './frame-context';
import { ReadHandler } from './read.handler';
import { SendMessageHandler } from './send-message.handler';
import { TypingHandler } from './typing.handler';

/**
 * Every frame of every socket comes here, one at a time per socket: parsed, then handed to the
 * handler of its `type` (none: a chat message, as the legacy apps send). Adding a frame type is a
 * handler and a case here; an unknown type is refused by the codec with UNKNOWN_TYPE.
 */
@Injectable()
export class FrameDispatcher {
  constructor(
    private readonly send: SendMessageHandler,
    private readonly read: ReadHandler,
    private readonly typing: TypingHandler,
    private readonly shutdown: ShutdownState,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    private readonly metrics: ChatMetrics,
  ) {}

  async dispatch(ctx: FrameContext, frame: IncomingFrame): Promise<void> {
    if (this.shutdown.shuttingDown) {
      this.metrics.framesIn.inc({ outcome: 'refused' });
      const echo = echoOfRaw(frame.raw);
      ctx.reply(
        errorFrame(echo.to, '服务器正在重启，消息未保存，请重连后重发 (server shutting down; reconnect and resend)', this.clock.wallClock(), ErrorCode.StoreUnavailable, echo.clientMsgId),
      );
      return;
    }
    if (frame.raw === null) {
      this.metrics.framesIn.inc({ outcome: 'refused' });
      ctx.reply(binaryFrameError(this.clock.wallClock()));
      return;
    }
    let parsed;
    try {
      parsed = parseFrame(frame.raw, {
        userId: ctx.socket.userId,
        textMaxLength: this.config.textMaxLength,
        heartbeatText: this.config.heartbeatEnabled ? this.config.heartbeatText : '',
      });
    } catch (e) {
      this.metrics.framesIn.inc({ outcome: 'refused' });
      ctx.reply(refusalFrame(e, this.clock.wallClock()));
      return;
    }
    switch (parsed.type) {
      case 'heartbeat':
        this.metrics.framesIn.inc({ outcome: 'heartbeat' });
        return;
      case 'send':
        return this.send.handle(ctx, parsed.command);
      case 'read':
        this.metrics.framesIn.inc({ outcome: 'read' });
        return this.read.handle(ctx, parsed.friendId, parsed.seq, parsed.clientMsgId);
      case 'typing':
        this.metrics.framesIn.inc({ outcome: 'typing' });
        return this.typing.handle(ctx, parsed.friendId, parsed.clientMsgId);
    }
  }
}
