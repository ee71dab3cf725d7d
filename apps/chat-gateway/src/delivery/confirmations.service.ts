import { Injectable } from '@nestjs/common';
import { ChatConfig } from '@app/config';
import { DeliveredPositions } from './delivered-positions.service';
import { SocketSession } from './socket-session';

const CONFIRM_TIMEOUT_MS = 5000;

/**
 * A frame written to a socket counts as received only once the client has shown it read it: a
 * kernel buffer of a dying connection is not a delivery. So positions are confirmed in rounds: a
 * while after the first unconfirmed write, a ping; its pong comes back after every earlier frame,
 * and the conversations' positions as they were when the ping left are recorded.
 */
@Injectable()
export class Confirmations {
  private readonly rounds = new WeakMap<SocketSession, Promise<void>>();
  private readonly scheduled = new WeakSet<SocketSession>();

  constructor(
    private readonly positions: DeliveredPositions,
    private readonly config: ChatConfig,
  ) {}

  /** Something was written: confirm it in a while (one round covers everything written until then). */
  schedule(session: SocketSession): void {
    if (this.scheduled.has(session) || this.rounds.has(session)) return;
    this.scheduled.add(session);
    setTimeout(() => {
      this.scheduled.delete(session);
      void this.round(session);
    }, this.config.confirmDelayMs).unref();
  }

  /** A round now (another device of the user is connecting, or shutdown), bounded by `timeoutMs`. */
  async now(session: SocketSession, timeoutMs = 1000): Promise<void> {
    const running = this.rounds.get(session);
    if (running) await Promise.race([running, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (!this.rounds.has(session)) await this.round(session, timeoutMs);
  }

  /**
   * The socket closed. `clean`: with a handshake, after reading everything written to it, so its
   * positions count; otherwise what it was last sent stays undelivered and comes again.
   */
  closed(session: SocketSession, clean: boolean): void {
    if (clean) this.record(session, snapshot(session));
    session.unconfirmed.clear();
  }

  private round(session: SocketSession, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<void> {
    if (!session.unconfirmed.size || !session.socket.isOpen) return Promise.resolve();
    // Conversations stay unconfirmed until the pong: a clean close meanwhile still counts them.
    const positions = snapshot(session);
    const round = session.socket
      .confirm(timeoutMs)
      .then((ok) => {
        if (!ok) return; // the close listener decides
        this.record(session, positions);
        for (const [friendId, seq] of positions) if (session.received(friendId) <= seq) session.unconfirmed.delete(friendId);
      })
      .finally(() => {
        this.rounds.delete(session);
        if (session.unconfirmed.size && session.socket.isOpen) this.schedule(session);
      });
    this.rounds.set(session, round);
    return round;
  }

  private record(session: SocketSession, positions: Map<number, number>): void {
    for (const [friendId, seq] of positions) {
      if (seq <= (session.confirmed.get(friendId) ?? 0)) continue;
      session.confirmed.set(friendId, seq);
      this.positions.record(session.userId, friendId, seq, session.receiptsFor.has(friendId));
    }
  }
}


/** Each unconfirmed conversation's received position on the socket, as of now. */
function snapshot(session: SocketSession): Map<number, number> {
  return new Map([...session.unconfirmed].map((friendId) => [friendId, session.received(friendId)]));
}
