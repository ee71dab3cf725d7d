// The order of one conversation on one socket, as a state machine with no I/O: ConversationFlow
// feeds it what arrives and carries out what it answers (write, start the gap timer, read).
//
// Every position of the conversation reaches the socket exactly once and in order: written, or
// taken by the socket's own send. `next` is the first position the socket has not had; it starts
// exact (the conversation's last position when the socket attached, or 1 for a conversation
// created since), so anything below it has been had.
//
// States:
//  - in-order: nothing is missing;
//  - holding:  a later position arrived first; it waits (briefly: the missing one is usually in
//              flight from another replica, or is this socket's own send not yet acknowledged);
//  - reading:  the missing positions are being read from the database;
//  - lagging:  the socket is over its send budget: nothing is written or held, only the highest
//              position seen is kept, and once the socket drains the rest is read from the database.

/** A message of this conversation for this socket, or the mark of the socket's own send. */
export type Arrival<M> = { kind: 'message'; seq: number; message: M } | { kind: 'own'; seq: number };

export type OrderState = { kind: 'in-order' } | { kind: 'holding' } | { kind: 'reading'; from: number; to: number } | { kind: 'lagging' };

export type OrderAction<M> =
  | { kind: 'write'; message: M }
  | { kind: 'wait' }
  | { kind: 'read'; from: number; to: number };

/** What a database read of positions from..to returned. */
export interface ReadResult<M> {
  rows: { seq: number; message: M }[];
  /**
   * The highest position the read accounts for: every position up to it either has its row here
   * or needs none (a friend-only read skips the socket user's own messages). Below the range's end
   * when the read was paged.
   */
  coveredTo: number;
}

/** Most positions held ahead of a gap; beyond it the rest is read from the database instead. */
export const MAX_HELD = 256;

export class ConversationOrder<M> {
  private held = new Map<number, M | null>();
  private current: OrderState = { kind: 'in-order' };
  /** The highest position known to exist (held, dropped while lagging, or read). */
  private highest: number;

  constructor(
    /** The first position the socket has not had. */
    private nextSeq: number,
  ) {
    this.highest = nextSeq - 1;
  }

  get next(): number {
    return this.nextSeq;
  }

  get state(): OrderState {
    return this.current;
  }

  /** Positions had without a break: what a confirmed socket has received of this conversation. */
  get contiguous(): number {
    return this.nextSeq - 1;
  }

  /** A message arrived (live), or the socket's own send was stored. */
  offer(arrival: Arrival<M>): OrderAction<M>[] {
    const { seq } = arrival;
    if (seq < this.nextSeq || this.held.has(seq)) return [];
    this.highest = Math.max(this.highest, seq);
    const value = arrival.kind === 'message' ? arrival.message : null;
    switch (this.current.kind) {
      case 'lagging':
        // Own positions are kept (they must never be read back to this socket); messages are
        // read once the socket drains.
        if (arrival.kind === 'own') {
          this.held.set(seq, null);
          while (this.held.get(this.nextSeq) === null) this.held.delete(this.nextSeq++);
        }
        return [];
      case 'reading':
        if (seq <= this.current.to) {
          // Inside the range being read: its own send is known now, a message comes with the read.
          if (arrival.kind === 'own') this.held.set(seq, null);
          return [];
        }
        this.hold(seq, value);
        return [];
      case 'in-order':
      case 'holding': {
        if (seq > this.nextSeq) {
          this.hold(seq, value);
          if (this.current.kind === 'in-order') {
            this.current = { kind: 'holding' };
            return [{ kind: 'wait' }];
          }
          return [];
        }
        const out: OrderAction<M>[] = value === null ? [] : [{ kind: 'write', message: value }];
        this.nextSeq += 1;
        return out.concat(this.release());
      }
    }
  }

  /** The gap timer fired: read what is still missing. */
  timedOut(): OrderAction<M>[] {
    if (this.current.kind !== 'holding') return [];
    return this.startRead();
  }

  /** Start reading `from..to` now (catch-up at attach, after a bus outage), whatever is held. */
  catchUp(to: number): OrderAction<M>[] {
    this.highest = Math.max(this.highest, to);
    if (this.current.kind === 'reading' || this.current.kind === 'lagging' || to < this.nextSeq) return [];
    return this.startRead();
  }

  /**
   * A read of the state's range came back, up to `coveredTo` (less than the range when paged:
   * the rest is read next). Each position up to there is written from the held message or the
   * row, skipped when it is the socket's own send or the read says it needs no row.
   */
  readDone(result: ReadResult<M>): OrderAction<M>[] {
    if (this.current.kind !== 'reading') return [];
    const { to } = this.current;
    const coveredTo = Math.min(result.coveredTo, to);
    const rows = new Map(result.rows.map((r) => [r.seq, r.message]));
    const out: OrderAction<M>[] = [];
    for (let seq = this.nextSeq; seq <= coveredTo; seq++) {
      const held = this.held.get(seq);
      this.held.delete(seq);
      const message = held === undefined ? rows.get(seq) : held;
      if (message !== null && message !== undefined) out.push({ kind: 'write', message });
    }
    this.nextSeq = Math.max(this.nextSeq, coveredTo + 1);
    if (coveredTo < to) {
      this.current = { kind: 'reading', from: this.nextSeq, to };
      return out.concat({ kind: 'read', from: this.nextSeq, to });
    }
    return out.concat(this.release());
  }

  /** A read failed: wait and read again; nothing is released out of order. */
  readFailed(): OrderAction<M>[] {
    if (this.current.kind !== 'reading') return [];
    this.current = { kind: 'holding' };
    return [{ kind: 'wait' }];
  }

  /** The socket went over its send budget: stop writing; held messages are dropped (read again later). */
  suspend(): void {
    for (const [seq, m] of this.held) if (m !== null) this.held.delete(seq);
    this.current = { kind: 'lagging' };
  }

  /** The socket drained: read whatever it missed while lagging. */
  resume(): OrderAction<M>[] {
    if (this.current.kind !== 'lagging') return [];
    this.current = { kind: 'in-order' };
    return this.highest >= this.nextSeq ? this.startRead() : [];
  }

  private hold(seq: number, value: M | null): void {
    if (this.held.size < MAX_HELD || value === null) this.held.set(seq, value);
    // Beyond the bound a message is not kept: `highest` remembers it and the read fetches it.
  }

  /** Writes whatever is held from `next` on without a break; holds on (and waits) if something is missing above. */
  private release(): OrderAction<M>[] {
    const out: OrderAction<M>[] = [];
    while (this.held.has(this.nextSeq)) {
      const m = this.held.get(this.nextSeq)!;
      this.held.delete(this.nextSeq);
      this.nextSeq += 1;
      if (m !== null) out.push({ kind: 'write', message: m });
    }
    if (this.held.size || this.highest >= this.nextSeq) {
      this.current = { kind: 'holding' };
      out.push({ kind: 'wait' });
    } else {
      this.current = { kind: 'in-order' };
    }
    return out;
  }

  private startRead(): OrderAction<M>[] {
    const to = Math.max(this.highest, ...this.held.keys());
    if (to < this.nextSeq) {
      this.current = { kind: 'in-order' };
      return [];
    }
    this.current = { kind: 'reading', from: this.nextSeq, to };
    return [{ kind: 'read', from: this.nextSeq, to }];
  }
}
