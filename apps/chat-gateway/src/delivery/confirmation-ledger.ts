import { addTo, removeFrom, setIn } from './lazy-collections';

/**
 * One socket's confirmations, owned by its session and made at its first write: the
 * conversations written since the last confirmation, the positions recorded as delivered, which
 * friends read delivered receipts, and the confirmation round scheduled or under way.
 */
export class ConfirmationLedger {
  private unconfirmed?: Set<number>;
  private confirmed?: Map<number, number>;
  /** Friends whose messages here asked for delivered receipts (sent from a v2 socket). */
  private receiptsFor?: Set<number>;
  private running?: Promise<void>;
  private scheduled = false;

  /** A friend's message was written: its conversation waits for confirmation. */
  written(friendId: number): void {
    this.unconfirmed = addTo(this.unconfirmed, friendId);
  }

  wantsReceipts(friendId: number): void {
    this.receiptsFor = addTo(this.receiptsFor, friendId);
  }

  get hasUnconfirmed(): boolean {
    return this.unconfirmed !== undefined;
  }

  /** Each unconfirmed conversation's position as `received` gives it now. */
  snapshot(received: (friendId: number) => number): Map<number, number> {
    return new Map([...(this.unconfirmed ?? [])].map((friendId) => [friendId, received(friendId)]));
  }

  /**
   * Records `positions` as delivered: `record` is told each that moved forward. `settle`: the
   * client proved it read them, so conversations that did not move since are confirmed.
   */
  confirm(
    positions: Map<number, number>,
    record: (friendId: number, seq: number, receipts: boolean) => void,
    received?: (friendId: number) => number,
  ): void {
    for (const [friendId, seq] of positions) {
      if (seq > (this.confirmed?.get(friendId) ?? 0)) {
        this.confirmed = setIn(this.confirmed, friendId, seq);
        record(friendId, seq, this.receiptsFor?.has(friendId) ?? false);
      }
      if (received && received(friendId) <= seq) this.unconfirmed = removeFrom(this.unconfirmed, friendId);
    }
  }

  forgetUnconfirmed(): void {
    this.unconfirmed = undefined;
  }

  /** The round under way, if any. */
  get round(): Promise<void> | undefined {
    return this.running;
  }

  setRound(round: Promise<void> | undefined): void {
    this.running = round;
  }

  /** True when a round may be scheduled now (none scheduled or running); it stays scheduled until `roundDue`. */
  scheduleRound(): boolean {
    if (this.scheduled || this.running) return false;
    return (this.scheduled = true);
  }

  roundDue(): void {
    this.scheduled = false;
  }
}
