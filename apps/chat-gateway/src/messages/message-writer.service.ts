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
 * database's commit rate, far below what the relay can carry. Conversations are spread over
 * `shards` writers that each write one batch at a time, so batches of different conversations
 * overlap while each conversation is stored, and settles, in the order its messages arrived.
 */
@Injectable()
export class MessageWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(MessageWriter.name);
  private readonly shards: SerialBatcher<Pending>[];

  constructor(
    private readonly messages: MessageRepository,
    config: ChatConfig,
    @Optional() private readonly metrics?: ChatMetrics,
  ) {
    // SQLite has one connection, which cannot hold two transactions at once.
    const count = messages.concurrentWrites ? config.storeShards : 1;
    this.shards = Array.from({ length: count }, () => new SerialBatcher<Pending>((batch) => this.store(batch), config.storeBatchMax));
  }

  write(message: NewMessage): Promise<StoreResult> {
    const lo = Math.min(message.senderId, message.to);
    const hi = Math.max(message.senderId, message.to);
    const shard = this.shards[(lo * 31 + hi) % this.shards.length];
    return new Promise((resolve, reject) => shard.push({ message, resolve, reject }));
  }

  /** Resolves once everything queued so far is written (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.drain()));
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
