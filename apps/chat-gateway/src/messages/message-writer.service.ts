import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ChatConfig } from '@app/config';
import { MessageRepository, NewMessage, StoreResult } from '@app/database';
import { ChatMetrics } from '../ops/chat-metrics.service';
import { SerialBatcher } from './serial-batcher';

interface Pending {
  message: NewMessage;
  resolve: (r: StoreResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups concurrent sends into one transaction: one commit per message caps a replica at the
 * database's commit rate, far below what the relay can carry. Calls made in order are stored
 * in that order and settle in that order.
 */
@Injectable()
export class MessageWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private readonly batcher: SerialBatcher<Pending>;

  constructor(
    private readonly messages: MessageRepository,
    config: ChatConfig,
    @Optional() private readonly metrics?: ChatMetrics,
  ) {
    this.batcher = new SerialBatcher((batch) => this.store(batch), config.storeBatchMax);
  }

  write(message: NewMessage): Promise<StoreResult> {
    return new Promise((resolve, reject) => this.batcher.push({ message, resolve, reject }));
  }

  /** Resolves once everything queued so far is written (graceful shutdown). */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private async store(batch: Pending[]): Promise<void> {
    const stopTimer = this.metrics?.storeLatency.startTimer();
    this.metrics?.storeBatchSize.observe(batch.length);
    try {
      const results = await this.messages.storeBatch(batch.map((p) => p.message));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      this.logger.error(`storing ${batch.length} message(s) failed: ${error instanceof Error ? error.message : String(error)}`);
      batch.forEach((p) => p.reject(error));
    } finally {
      stopTimer?.();
    }
  }
}
