import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { MessageRepository } from '@app/database';

/**
 * Clears the offline flag of messages written to a recipient's socket, grouped into one UPDATE
 * per round. If the update fails the messages stay pending and are pushed again at the next
 * connect: a rare duplicate (clients can tell by `id`) rather than a loss.
 */
@Injectable()
export class DeliveredMarker implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveredMarker.name);
  private ids: number[] = [];
  private inFlight: Promise<void> | null = null;
  private scheduled = false;
  /** Ids handed to mark() so far, and how many of them have been written (in order). */
  private marked = 0;
  private settledCount = 0;
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(private readonly messages: MessageRepository) {}

  mark(id: number): void {
    this.ids.push(id);
    this.marked += 1;
    this.schedule();
  }

  /**
   * Resolves once every mark made before the call is written, so a backlog read afterwards does
   * not push again what a socket of this process just got.
   */
  settled(): Promise<void> {
    const upTo = this.marked;
    if (this.settledCount >= upTo) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  async drain(): Promise<void> {
    while (this.inFlight || this.ids.length || this.scheduled) {
      if (this.inFlight) await this.inFlight;
      else await new Promise((r) => setImmediate(r));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight || !this.ids.length) return;
      const batch = this.ids.splice(0, 1000);
      this.inFlight = this.messages
        .markDelivered(batch)
        .catch((e: unknown) => this.logger.warn(`marking ${batch.length} message(s) delivered failed: ${String(e)}`))
        .finally(() => {
          this.settledCount += batch.length;
          this.waiters = this.waiters.filter((w) => (w.upTo <= this.settledCount ? (w.resolve(), false) : true));
          this.inFlight = null;
          if (this.ids.length) this.schedule();
        });
    });
  }
}
