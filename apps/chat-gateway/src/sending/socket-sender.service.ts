import { Injectable, Logger } from '@nestjs/common';
import { ChatClock, DomainError, ErrorCode } from '@app/common';
import { ChatConfig } from '@app/config';
import { StoredMessage } from '@app/database';
import type { ChatSocket } from '../delivery/chat-socket';
import { OwnSendEcho } from '../delivery/own-send-echo';
import { SocketRegistry } from '../delivery/socket-registry';
import { ackFrame, ReplyFrame, SendCommand } from '../protocol/frame-codec';
import { refusalFrame } from '../protocol/refusal-frames';
import type { SendBudget } from '../shared/send-budget';
import { ChatMetrics } from '../shared/chat-metrics.service';
import { SendOutcome, SendService } from './send.service';

/** Where a send is answered: the socket it came from. */
export type Reply = (frame: ReplyFrame) => void;

/**
 * A chat message frame of one socket, from accept to answer: accepted, then stored while the
 * socket's next frames are read; the answer (an ack for a clientMsgId, or an error frame) follows
 * once the store does. Tells delivery of the socket's own sends (the echo rule: it never gets them
 * back) and counts in the socket's send budget, which its session owns: at most
 * CHAT_SENDS_IN_FLIGHT sends waiting for the database (beyond that its next frame waits, and so,
 * through its bounded ingress, does the client), and a socket refused over the rate limit
 * CHAT_RATE_LIMIT_CLOSE_AFTER times in one window is closed.
 */
@Injectable()
export class SocketSender {
  private readonly logger = new Logger(SocketSender.name);

  constructor(
    private readonly sends: SendService,
    private readonly echo: OwnSendEcho,
    private readonly registry: SocketRegistry,
    private readonly clock: ChatClock,
    private readonly config: ChatConfig,
    private readonly metrics: ChatMetrics,
  ) {}

  /** Resolves once the send is accepted or refused (its store goes on): the socket's next frame may be read. */
  async send(socket: ChatSocket, command: SendCommand, receivedAt: number, reply: Reply): Promise<void> {
    // A socket no longer (or not yet) attached has no session: nothing to bound, it reads no more.
    const budget = this.registry.sessionOf(socket)?.sendBudget(this.config.sendsInFlight);
    await budget?.inFlight.take();
    let accepted;
    try {
      accepted = await this.sends.accept(socket.userId, command, receivedAt, socket.version === 2);
    } catch (e) {
      budget?.inFlight.release();
      this.metrics.framesIn.inc({ outcome: 'refused' });
      if (e instanceof DomainError && e.code === ErrorCode.RateLimited) this.countRateRefusal(socket, budget);
      reply(refusalFrame(e, this.clock.wallClock(), command.to, command.clientMsgId));
      return;
    }
    this.echo.sending(socket, command.to);
    // Not awaited: the next frame is read while this one is stored; order holds because the
    // writer stores each conversation in call order.
    void this.sends
      .store(accepted, socket.id)
      .then((outcome) => this.answer(socket, command, outcome, reply, budget))
      .finally(() => budget?.inFlight.release());
  }

  private answer(socket: ChatSocket, command: SendCommand, outcome: SendOutcome, reply: Reply, budget?: SendBudget): void {
    switch (outcome.kind) {
      case 'stored':
      case 'repeat':
        this.metrics.framesIn.inc({ outcome: outcome.kind === 'stored' ? 'stored' : 'duplicate' });
        this.stored(socket, command, outcome.message, reply);
        return;
      case 'refused':
        if (outcome.error.code === ErrorCode.RateLimited) {
          // Over the limit, as Redis counted it while the send waited for its batch.
          this.metrics.framesIn.inc({ outcome: 'refused' });
          this.countRateRefusal(socket, budget);
        } else {
          this.metrics.framesIn.inc({ outcome: 'failed' });
        }
        this.echo.failed(socket, command.to);
        reply(refusalFrame(outcome.error, this.clock.wallClock(), command.to, command.clientMsgId));
        return;
      case 'late':
        this.metrics.framesIn.inc({ outcome: 'failed' });
        reply(refusalFrame(outcome.error, this.clock.wallClock(), command.to, command.clientMsgId));
        // The database may yet say it stored it: then it is this socket's position, acked late.
        void outcome.later.then((m) => {
          if (!m) return this.echo.failed(socket, command.to);
          this.stored(socket, command, m, reply);
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

  private stored(socket: ChatSocket, command: SendCommand, m: StoredMessage, reply: Reply): void {
    this.echo.sent(socket, m);
    if (command.clientMsgId) reply(ackFrame(command.clientMsgId, m, socket.version));
  }

  /** A socket that keeps sending far over the rate limit is closed rather than answered forever. */
  private countRateRefusal(socket: ChatSocket, budget?: SendBudget): void {
    const limit = this.config.rateLimitCloseAfter;
    if (limit === 0 || !budget) return;
    const window = Math.floor(Date.now() / (this.config.rateLimitWindowSec * 1000));
    if (budget.refused(window) === limit + 1) {
      this.metrics.floodCloses.inc({ reason: 'rate' });
      socket.close(1008, `sending too fast: ${limit} messages over the rate limit in one window`);
    }
  }
}
