import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { MessageRepository } from '@app/database';
import { SerialBatcher } from '../messages/serial-batcher';

/**
 * Clears the offline flag of messages their recipient has read, grouped into one UPDATE per
 * round. If the update fails the messages stay pending and are pushed again at the next
 * connect: a rare repeat (clients can tell by `id`) rather than a loss.
 */
@Injectable()
export class DeliveredMarker implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveredMarker.name);
  private readonly batcher = new SerialBatcher<number>(
    (ids) =>
      this.messages.markDelivered(ids).catch((e: unknown) => this.logger.warn(`marking ${ids.length} message(s) delivered failed: ${String(e)}`)),
    1000,
  );

  constructor(private readonly messages: MessageRepository) {}

  mark(id: number): void {
    this.batcher.push(id);
  }

  /**
   * Resolves once every mark made before the call is written, so a backlog read afterwards does
   * not push again what a socket of this process just got.
   */
  settled(): Promise<void> {
    return this.batcher.settled();
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }
}
