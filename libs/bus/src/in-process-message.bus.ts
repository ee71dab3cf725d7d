import { Injectable } from '@nestjs/common';
import { BusEvent, BusEventHandler, MessageBus } from './message-bus';

// Single-process deployments (the embedded default): delivery is a function call, nothing is
// ever lost in transit, so onResync never fires.
@Injectable()
export class InProcessMessageBus implements MessageBus {
  private readonly subscribed = new Set<number>();
  private handler: BusEventHandler = () => undefined;

  publish(userIds: readonly number[], event: BusEvent): Promise<void> {
    for (const userId of new Set(userIds)) {
      if (this.subscribed.has(userId)) this.handler(userId, event);
    }
    return Promise.resolve();
  }

  subscribe(userId: number): Promise<void> {
    this.subscribed.add(userId);
    return Promise.resolve();
  }

  unsubscribe(userId: number): Promise<void> {
    this.subscribed.delete(userId);
    return Promise.resolve();
  }

  onEvent(handler: BusEventHandler): void {
    this.handler = handler;
  }

  confirmPeers(): Promise<void> {
    return Promise.resolve(); // no other replica
  }

  onConfirmRequest(): void {
    // No other replica asks.
  }

  onResync(): void {
    // Nothing can be missed in process.
  }

  isLive(): boolean {
    return true;
  }

  close(): Promise<void> {
    this.subscribed.clear();
    return Promise.resolve();
  }
}
