import { Inject, Injectable, Logger } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@app/bus';

/**
 * The bus subscription of each user this replica holds a socket of: taken with the first socket,
 * dropped with the last. A subscription that fails stays wanted: the bus subscribes again when it
 * is back, then asks for a re-read.
 */
@Injectable()
export class UserSubscriptions {
  private readonly logger = new Logger(UserSubscriptions.name);
  private readonly live = new Map<number, Promise<void>>();

  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  /** Resolves once the user's subscription is live (or has failed and is left to the bus). */
  acquire(userId: number): Promise<void> {
    let subscribed = this.live.get(userId);
    if (!subscribed) {
      subscribed = this.bus.subscribe(userId).catch((e: unknown) => this.logger.warn(`bus subscription for user ${userId} failed: ${String(e)}`));
      this.live.set(userId, subscribed);
    }
    return subscribed;
  }

  release(userId: number): void {
    this.live.delete(userId);
    this.bus.unsubscribe(userId).catch((e: unknown) => this.logger.warn(`bus unsubscribe failed: ${String(e)}`));
  }
}
