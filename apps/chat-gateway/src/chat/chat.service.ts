import { Inject, Injectable, Logger } from '@nestjs/common';
import { BusMessage, MESSAGE_BUS, MessageBus } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { StoreResult } from '@app/database';
import { MessageWriter } from '../messages/message-writer.service';
import { SendCommand } from './chat-frames';
import { UserDirectory } from './user-directory.service';

/** A send that passed every check and waits to be stored. */
export interface AcceptedSend {
  senderId: number;
  senderName: string;
  command: SendCommand;
  time: string;
  acceptedAt: number;
}

/**
 * Sending a chat message: check it, store it (persist first), then hand it to the bus for every
 * socket of the recipient and the sender's other devices. No knowledge of sockets or frames.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly directory: UserDirectory,
    private readonly writer: MessageWriter,
    private readonly clock: ChatClock,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  /** Checks the recipient; the message's time is taken here, on receipt. */
  async accept(senderId: number, command: SendCommand): Promise<AcceptedSend> {
    const [recipient, sender] = await Promise.all([this.directory.find(command.to), this.directory.find(senderId)]).catch(() => {
      throw new DomainError(ErrorCode.StoreUnavailable, '服务暂不可用，消息未保存，请稍后重试 (the database is unavailable; try again)');
    });
    if (!recipient) throw new DomainError(ErrorCode.UserNotFound, LegacyMessages.userNotFound);
    const now = new Date();
    return { senderId, senderName: sender?.name ?? '', command, time: this.clock.wallClock(now), acceptedAt: now.getTime() };
  }

  /**
   * Stores, then publishes. Calls made in order are stored in that order. A repeated
   * clientMsgId resolves to the first stored message and is not delivered again.
   */
  async store(send: AcceptedSend, originSocket: string): Promise<StoreResult> {
    const { command } = send;
    let result: StoreResult;
    try {
      result = await this.writer.write({
        senderId: send.senderId,
        to: command.to,
        text: command.text,
        time: send.time,
        clientMsgId: command.clientMsgId,
      });
    } catch {
      throw new DomainError(
        ErrorCode.StoreUnavailable,
        '消息未能保存，请稍后重试 (the message could not be stored; try again)',
      );
    }
    if (!result.duplicate) this.publish({ ...result.message, type: 'message', senderName: send.senderName, originSocket, acceptedAt: send.acceptedAt });
    return result;
  }

  private publish(message: BusMessage): void {
    // The bus hands the message to this process's sockets first, whatever Redis does; a failed
    // publish means other replicas missed it, and they re-read once the bus is back.
    this.bus.publish([message.to, message.senderId], message).catch((e: unknown) => {
      this.logger.debug(`bus publish failed, delivered locally only: ${String(e)}`);
    });
  }
}
