import { Injectable } from '@nestjs/common';
import { SendCommand } from '../protocol/frame-codec';
import { SocketSender } from '../sending/socket-sender.service';
import { FrameContext } from './frame-context';

/**
 * A chat message frame (no `type`): handed to the sending layer, which answers it on the socket
 * (an ack for a clientMsgId, or an error frame) once it is stored or refused.
 */
@Injectable()
export class SendMessageHandler {
  constructor(private readonly sender: SocketSender) {}

  handle(ctx: FrameContext, command: SendCommand): Promise<void> {
    return this.sender.send(ctx.socket, command, ctx.receivedAt, (frame) => ctx.reply(frame));
  }
}
