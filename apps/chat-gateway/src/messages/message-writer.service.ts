import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ChatConfig } from '@app/config';
import { MessageRepository, NewMessage, StoreResult } from '@app/database';
import { ChatMetrics } from '../ops/chat-metrics.service';

interface Pending {
  message: NewMessage;
  resolve: (r: StoreResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups concurrent sends into one transaction: one commit per message caps a replica at the
 * database's commit rate, far below what the relay can carry. No timer: whatever arrives while a
 * write is in flight goes into the next one, so a lone message is written at once and batches
 * grow only under load. One write at a time keeps storage order equal to arrival order.
 */
@Injectable()
export class MessageWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private queue: Pending[] = [];
  private inFlight: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly messages: MessageRepository,
    private readonly config: ChatConfig,
    private readonly metrics?: ChatMetrics,
  ) {}

  write(message: NewMessage): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far is written (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight || this.queue.length) {
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
    // Let the frames already read from the sockets join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight || !this.queue.length) return;
    const batch = this.queue.splice(0, this.config.storeBatchMax);
    const stopTimer = this.metrics?.storeLatency.startTimer();
    this.metrics?.storeBatchSize.observe(batch.length);
    this.inFlight = this.messages
      .storeBatch(batch.map((p) => p.message))
      .then(
        (results) => batch.forEach((p, i) => p.resolve(results[i])),
        (error: unknown) => {
          this.logger.error(`storing ${batch.length} message(s) failed: ${error instanceof Error ? error.message : String(error)}`);
          batch.forEach((p) => p.reject(error));
        },
      )
      .finally(() => {
        stopTimer?.();
        this.inFlight = null;
        if (this.queue.length) this.schedule();
      });
  }
}
