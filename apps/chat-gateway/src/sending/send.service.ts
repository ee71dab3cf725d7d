import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChatPolicy } from '@app/accounts';
import { BusMessage, MESSAGE_BUS, MessageBus } from '@app/bus';
import { ChatClock, DomainError, ErrorCode, LegacyMessages } from '@app/common';
import { ChatConfig } from '@app/config';
import { StoredMessage } from '@app/database';
import { UserDirectory } from '../shared/user-directory.service';
import { MessageWriter } from './message-writer.service';
import { RateLimiter } from './rate-limiter.service';

/** A send to store, as a frame gave it. */
export interface SendRequest {
  to: number;
  text: string;
  clientMsgId?: string;
}

/** A send that passed every check and waits to be stored. */
export interface AcceptedSend {
  senderId: number;
  senderName: string;
  request: SendRequest;
  /** Receive time: the message's time, and where its deadline counts from. */
  time: string;
  receivedAt: number;
  /** The sender's socket reads delivered receipts (protocol v2). */
  receipts?: boolean;
  /** The rate limit's count, still under way in Redis: the send is stored only if it says yes. */
  admission?: Promise<boolean>;
}

/**
 * How a send ended:
 * - stored: new, and handed to the bus for every socket of the recipient and the sender's others;
 * - repeat: its clientMsgId was stored before with the same recipient and text (a retry): the
 *   stored message, delivered already;
 * - refused: not stored (`error` says why);
 * - late: not stored in time (`error` is STORE_UNAVAILABLE), but the database may have stored it
 *   after all: `later` resolves with the message if so (delivered then), or null.
 */
export type SendOutcome =
  | { kind: 'stored'; message: StoredMessage }
  | { kind: 'repeat'; message: StoredMessage }
  | { kind: 'refused'; error: DomainError }
  | { kind: 'late'; error: DomainError; later: Promise<StoredMessage | null> };

const rateLimited = (limit: number, windowSec: number) =>
  new DomainError(
    ErrorCode.RateLimited,
    `发送过于频繁：每 ${windowSec} 秒最多 ${limit} 条，请稍后再发 (rate limit: at most ${limit} messages per ${windowSec} s)`,
  );

const storeUnavailable = () =>
  new DomainError(ErrorCode.StoreUnavailable, '消息未能保存，请稍后重试 (the message could not be stored in time; try again)');

/**
 * Sending a chat message: check it, store it (persist first), then hand it to the bus. Knows
 * nothing of sockets or frames: the origin is an opaque id the bus uses to skip the sending socket.
 */
@Injectable()
export class SendService {
  private readonly logger = new Logger(SendService.name);

  constructor(
    private readonly directory: UserDirectory,
    private readonly writer: MessageWriter,
    private readonly limiter: RateLimiter,
    private readonly policy: ChatPolicy,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  /**
   * Checks the rate limit and the recipient; the message's time is its receive time. Throws
   * DomainError. A rate-limit count still under way in Redis is not waited for: it travels with
   * the send as `admission`, and store() answers RATE_LIMITED if it says no (the refusal is the
   * same, the round trip overlaps the wait for the database).
   */
  async accept(senderId: number, request: SendRequest, receivedAt: number, receipts = false): Promise<AcceptedSend> {
    const admitted = this.limiter.admit(senderId);
    if (admitted === false) throw this.rateLimited();
    const [recipient, sender] = await Promise.all([this.directory.find(request.to), this.directory.find(senderId)]).catch(async () => {
      if ((await admitted) === false) throw this.rateLimited();
      throw new DomainError(ErrorCode.StoreUnavailable, '服务暂不可用，消息未保存，请稍后重试 (the database is unavailable; try again)');
    });
    if (!recipient) {
      // Over the limit comes first, as when the count was waited for.
      if ((await admitted) === false) throw this.rateLimited();
      throw new DomainError(ErrorCode.UserNotFound, LegacyMessages.userNotFound);
    }
    // Blocked by the recipient, or not friends under CHAT_POLICY=friends: refused, nothing stored.
    await this.policy.check(senderId, request.to);
    const send: AcceptedSend = { senderId, senderName: sender?.name ?? '', request, time: this.clock.wallClock(new Date(receivedAt)), receivedAt, receipts };
    if (admitted !== true) send.admission = admitted;
    return send;
  }

  /** Stores, then publishes. Sends accepted in order are stored in that order per conversation. */
  async store(send: AcceptedSend, originSocket: string): Promise<SendOutcome> {
    const { request } = send;
    const outcome = await this.writer.submit(
      { senderId: send.senderId, to: request.to, text: request.text, time: send.time, clientMsgId: request.clientMsgId },
      send.receivedAt + this.config.storeTimeoutMs,
      send.admission,
    );
    switch (outcome.kind) {
      case 'stored':
        this.publish(send, outcome.message, originSocket);
        return { kind: 'stored', message: outcome.message };
      case 'duplicate': {
        const m = outcome.message;
        if (m.to !== request.to || m.text !== request.text) {
          return {
            kind: 'refused',
            error: new DomainError(
              ErrorCode.ClientMsgIdReused,
              `"clientMsgId" 已用于另一条消息 (clientMsgId ${request.clientMsgId} was used for another message, id ${m.id}; use a new one per message)`,
            ),
          };
        }
        return { kind: 'repeat', message: m };
      }
      case 'inadmissible':
        return { kind: 'refused', error: this.rateLimited() };
      case 'failed':
        return { kind: 'refused', error: storeUnavailable() };
      case 'timeout':
        return {
          kind: 'late',
          error: storeUnavailable(),
          later: outcome.later.then((m) => {
            if (m) this.publish(send, m, originSocket);
            return m;
          }),
        };
    }
  }

  private rateLimited(): DomainError {
    return rateLimited(this.limiter.limit, this.config.rateLimitWindowSec);
  }

  private publish(send: AcceptedSend, m: StoredMessage, originSocket: string): void {
    const message: BusMessage = { ...m, type: 'message', senderName: send.senderName, originSocket, acceptedAt: send.receivedAt };
    if (send.receipts) message.receipts = true;
    // The bus hands the message to this process's sockets first, whatever Redis does; a failed
    // publish means other replicas missed it, and they re-read once the bus is back.
    this.bus.publish([m.to, m.senderId], message).catch((e: unknown) => {
      this.logger.debug(`bus publish failed, delivered locally only: ${String(e)}`);
    });
  }
}
