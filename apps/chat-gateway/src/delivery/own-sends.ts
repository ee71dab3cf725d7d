import type { ReadResult } from './conversation-order';
import { deleteIn, setIn } from './lazy-collections';

/**
 * The own-send echo rule of one socket, owned by its session: a socket never gets back a message
 * it sent. Its sends to a friend not yet stored are counted; a read of that conversation that
 * returns meanwhile may hold one of them, so it is parked until they settle.
 */
export class OwnSends<M> {
  private inFlight?: Map<number, number>;
  private parked?: Map<number, ReadResult<M>>;

  sending(friendId: number): void {
    this.inFlight = setIn(this.inFlight, friendId, (this.inFlight?.get(friendId) ?? 0) + 1);
  }

  /** One send settled; the read parked behind it, if this was the last one, is handed back. */
  settled(friendId: number): ReadResult<M> | undefined {
    const left = (this.inFlight?.get(friendId) ?? 1) - 1;
    if (left > 0) {
      this.inFlight = setIn(this.inFlight, friendId, left);
      return undefined;
    }
    this.inFlight = deleteIn(this.inFlight, friendId);
    const parked = this.parked?.get(friendId);
    this.parked = deleteIn(this.parked, friendId);
    return parked;
  }

  /** Parks a read while own sends to the friend are unsettled; false (not parked) when none are. */
  park(friendId: number, result: ReadResult<M>): boolean {
    if (!this.inFlight?.get(friendId)) return false;
    this.parked = setIn(this.parked, friendId, result);
    return true;
  }
}
