import { Injectable, Logger } from '@nestjs/common';
import { ChatClock, DomainError, ErrorCode } from '@app/common';
import { ChatConfig } from '@app/config';
import { StoredMessage } from '@app/database';
import type { ChatSocket } from '../delivery/chat-socket';
import { DeliveryService } from '../delivery/delivery.service';
import { ackFrame, SendCommand } from '../protocol/frame-codec';
import { refusalFrame } from '../protocol/refusal-frames';
import { SendOutcome, SendService } from '../sending/send.service';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { FrameContext } from './frame-context';

interface Slots {
  used: number;
  waiting: (() => void)[];
}

/**
 * A chat message frame (no `type`): accepted, then stored while the socket's next frames are
 * read; the answer (an ack for a clientMsgId, or an error frame) follows once the store does. A
 * socket has at most CHAT_SENDS_IN_FLIGHT sends waiting for the database: beyond that its next
 * frame waits, and so, through its bounded ingress, does the client.
 */
@Injectable()
export class SendMessageHandler {
  private readonly slots = new WeakMap<ChatSocket, Slots>();
  private readonly refusals = new WeakMap<ChatSocket, { window: number; count: number }>();
  private readonly logger = new Logger(SendMessageHandler.name);

  constructor(
    private readonly sends: SendService,
    private readonly delivery: DeliveryService,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    private readonly metrics: ChatMetrics,
  ) {}

  async handle(ctx: FrameContext, command: SendCommand): Promise<void> {
    const socket = ctx.socket;
    await this.takeSlot(socket);
    let accepted;
    try {
      accepted = await this.sends.accept(socket.userId, command, ctx.receivedAt, socket.version === 2);
    } catch (e) {
      this.releaseSlot(socket);
      this.metrics.framesIn.inc({ outcome: 'refused' });
      if (e instanceof DomainError && e.code === ErrorCode.RateLimited) this.countRateRefusal(socket);
      ctx.reply(refusalFrame(e, this.clock.wallClock(), command.to, command.clientMsgId));
      return;
    }
    this.delivery.noteSending(socket, command.to);
    // Not awaited: the next frame is read while this one is stored; order holds because the
    // writer stores each conversation in call order.
    void this.sends
      .store(accepted, socket.id)
      .then((outcome) => this.answer(ctx, command, outcome))
      .finally(() => this.releaseSlot(socket));
  }

  private answer(ctx: FrameContext, command: SendCommand, outcome: SendOutcome): void {
    const socket = ctx.socket;
    switch (outcome.kind) {
      case 'stored':
      case 'repeat':
        this.metrics.framesIn.inc({ outcome: outcome.kind === 'stored' ? 'stored' : 'duplicate' });
        this.stored(ctx, command, outcome.message);
        return;
      case 'refused':
        if (outcome.error.code === ErrorCode.RateLimited) {
          // Over the limit, as Redis counted it while the send waited for its batch.
          this.metrics.framesIn.inc({ outcome: 'refused' });
          this.countRateRefusal(socket);
        } else {
          this.metrics.framesIn.inc({ outcome: 'failed' });
        }
        this.delivery.noteSendFailed(socket, command.to);
        ctx.reply(refusalFrame(outcome.error, this.clock.wallClock(), command.to, command.clientMsgId));
        return;
      case 'late':
        this.metrics.framesIn.inc({ outcome: 'failed' });
        ctx.reply(refusalFrame(outcome.error, this.clock.wallClock(), command.to, command.clientMsgId));
        // The database may yet say it stored it: then it is this socket's position, acked late.
        void outcome.later.then((m) => {
          if (!m) return this.delivery.noteSendFailed(socket, command.to);
          this.stored(ctx, command, m);
          if (!command.clientMsgId || !socket.isOpen) this.reportUnanswered(socket, command, m);
        });
        return;
    }
  }

  /**
   * The one exception of protocol.md: stored in time, answered STORE_UNAVAILABLE, and the sender
   * cannot learn otherwise (no socket left for the late ack, or a legacy frame, which gets no ack).
   * Delivered all the same; logged one by one, by message id, so an operator (or the soak) can
   * tell it from a send stored after its refusal, which never happens.
   */
  private reportUnanswered(socket: ChatSocket, command: SendCommand, m: StoredMessage): void {
    const reason = command.clientMsgId ? 'socket-closed' : 'no-client-msg-id';
    this.metrics.lateUnanswered.inc({ reason });
    this.logger.warn(
      `message ${m.id} was stored after its sender was answered STORE_UNAVAILABLE, and the sender cannot learn it ` +
        `(user ${socket.userId} to ${command.to}${command.clientMsgId ? `, clientMsgId ${command.clientMsgId}: its socket closed before the late ack` : ': a frame without clientMsgId gets no ack'})`,
    );
  }

  private stored(ctx: FrameContext, command: SendCommand, m: StoredMessage): void {
    this.delivery.noteSent(ctx.socket, m);
    if (command.clientMsgId) ctx.reply(ackFrame(command.clientMsgId, m, ctx.socket.version));
  }

  private takeSlot(socket: ChatSocket): Promise<void> {
    let slots = this.slots.get(socket);
    if (!slots) this.slots.set(socket, (slots = { used: 0, waiting: [] }));
    if (slots.used < this.config.sendsInFlight) {
      slots.used += 1;
      return Promise.resolve();
    }
    const s = slots;
    return new Promise((resolve) =>
      s.waiting.push(() => {
        s.used += 1;
        resolve();
      }),
    );
  }

  private releaseSlot(socket: ChatSocket): void {
    const slots = this.slots.get(socket);
    if (!slots) return;
    slots.used -= 1;
    slots.waiting.shift()?.();
  }

  /** A socket that keeps sending far over the rate limit is closed rather than answered forever. */
  private countRateRefusal(socket: ChatSocket): void {
    const limit = this.config.rateLimitCloseAfter;
    if (limit === 0) return;
    const window = Math.floor(Date.now() / (this.config.rateLimitWindowSec * 1000));
    let r = this.refusals.get(socket);
    if (!r || r.window !== window) this.refusals.set(socket, (r = { window, count: 0 }));
    r.count += 1;
    if (r.count === limit + 1) {
      this.metrics.floodCloses.inc({ reason: 'rate' });
      socket.close(1008, `sending too fast: ${limit} messages over the rate limit in one window`);
    }
  }
}
