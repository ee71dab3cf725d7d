/**
 * Queues items and hands them to `write` in batches, one batch at a time. No timer: whatever
 * arrives while a batch is being written goes into the next one, so a lone item is written at
 * once and batches grow only under load; one batch at a time keeps the order of arrival.
 * `write` owns its errors (it must not reject).
 */
export class SerialBatcher<T> {
  private queue: T[] = [];
  private inFlight: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Resolves once nothing is queued or being written. */
  async drain(): Promise<void> {
    while (this.inFlight || this.queue.length || this.scheduled) {
      if (this.inFlight) await this.inFlight;
      else await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // Let the items already on their way (frames read in this turn) join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight || !this.queue.length) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight = this.write(batch)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = null;
        if (this.queue.length) this.schedule();
      });
  }
}
