import { Injectable } from '@nestjs/common';
import { ChatConfig } from '@app/config';
import { DeliveredPositions } from './delivered-positions.service';
import { SocketSession } from './socket-session';

const CONFIRM_TIMEOUT_MS = 5000;

/**
 * A frame written to a socket counts as received only once the client has shown it read it: a
 * kernel buffer of a dying connection is not a delivery. So positions are confirmed in rounds: a
 * while after the first unconfirmed write, a ping; its pong comes back after every earlier frame,
 * and the conversations' positions as they were when the ping left are recorded. Each socket's
 * rounds and positions live in its session's ConfirmationLedger; this service runs the rounds.
 */
@Injectable()
export class Confirmations {
  constructor(
    private readonly positions: DeliveredPositions,
    private readonly config: ChatConfig,
  ) {}

  /** Something was written: confirm it in a while (one round covers everything written until then). */
  schedule(session: SocketSession): void {
    const ledger = session.confirmations();
    if (!ledger.scheduleRound()) return;
    setTimeout(() => {
      ledger.roundDue();
      void this.round(session);
    }, this.config.confirmDelayMs).unref();
  }

  /** A round now (another device of the user is connecting, or shutdown), bounded by `timeoutMs`. */
  async now(session: SocketSession, timeoutMs = 1000): Promise<void> {
    const running = session.confirmations(false)?.round;
    if (running) await Promise.race([running, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (!session.confirmations(false)?.round) await this.round(session, timeoutMs);
  }

  /**
   * The socket closed. `clean`: with a handshake, after reading everything written to it, so its
   * positions count; otherwise what it was last sent stays undelivered and comes again.
   */
  closed(session: SocketSession, clean: boolean): void {
    const ledger = session.confirmations(false);
    if (!ledger) return;
    if (clean) ledger.confirm(ledger.snapshot((f) => session.received(f)), this.recorder(session));
    ledger.forgetUnconfirmed();
  }

  private round(session: SocketSession, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<void> {
    const ledger = session.confirmations(false);
    if (!ledger?.hasUnconfirmed || !session.socket.isOpen) return Promise.resolve();
    // Conversations stay unconfirmed until the pong: a clean close meanwhile still counts them.
    const received = (friendId: number) => session.received(friendId);
    const positions = ledger.snapshot(received);
    const round = session.socket
      .confirm(timeoutMs)
      .then((ok) => {
        if (ok) ledger.confirm(positions, this.recorder(session), received); // else the close listener decides
      })
      .finally(() => {
        ledger.setRound(undefined);
        if (ledger.hasUnconfirmed && session.socket.isOpen) this.schedule(session);
      });
    ledger.setRound(round);
    return round;
  }

  private recorder(session: SocketSession) {
    return (friendId: number, seq: number, receipts: boolean) => this.positions.record(session.userId, friendId, seq, receipts);
  }
}
