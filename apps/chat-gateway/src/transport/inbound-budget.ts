/**
 * The bytes of frames read from all sockets of this replica and not yet handled. Past the limit,
 * sockets stop being read (their ingress pauses them); once the total is back under half of it,
 * every socket paused for it is read again.
 */
export class InboundBudget {
  private used = 0;
  private readonly waiting = new Set<() => void>();

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used;
  }

  get exhausted(): boolean {
    return this.used > this.limit;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
    if (this.waiting.size && this.used <= this.limit / 2) {
      const wake = [...this.waiting];
      this.waiting.clear();
      for (const resume of wake) resume();
    }
  }

  /** Calls `resume` once the total is back under half of the limit. */
  whenRoom(resume: () => void): void {
    this.waiting.add(resume);
  }

  forget(resume: () => void): void {
    this.waiting.delete(resume);
  }
}
