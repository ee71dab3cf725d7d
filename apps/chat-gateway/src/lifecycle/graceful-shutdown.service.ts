import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ChatConfig } from '@app/config';
import { PingLoop } from '../transport/ping-loop.service';
import { UpgradeAuthorizer } from '../transport/upgrade-authorizer.service';
import { DeliveredPositions } from '../delivery/delivered-positions.service';
import { DeliveryService } from '../delivery/delivery.service';
import { MessageWriter } from '../sending/message-writer.service';
import { ShutdownState } from '../shared/shutdown-state';

/** How long closed sockets may take to finish their close handshakes. */
const CLOSE_WAIT_MS = 3000;

/**
 * Graceful shutdown, in order: not ready, no new sockets (503) and no new frames
 * (STORE_UNAVAILABLE); the stores already accepted finish (their senders get their acks);
 * delivery stops, and what the sockets have read is confirmed and recorded, so that what is left
 * is exactly what stays undelivered; then every socket is closed with 1001 and the clients
 * reconnect, behind the balancer to another replica, where the rest reaches them once. On a
 * signal the process exits after CHAT_SHUTDOWN_GRACE_MS whatever is left.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);

  constructor(
    private readonly state: ShutdownState,
    private readonly authorizer: UpgradeAuthorizer,
    private readonly pings: PingLoop,
    private readonly writer: MessageWriter,
    private readonly delivery: DeliveryService,
    private readonly positions: DeliveredPositions,
    private readonly config: ChatConfig,
  ) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.state.begin();
    this.authorizer.stopAccepting();
    this.pings.stop();
    if (signal) {
      this.logger.log(`${signal}: closing ${this.delivery.socketCount} socket(s), grace ${this.config.shutdownGraceMs} ms`);
      // The hard deadline: a hook that hangs (a database that never answers) must not keep the
      // replica from going away.
      setTimeout(() => {
        this.logger.warn('shutdown grace period over: exiting');
        process.exit(1);
      }, this.config.shutdownGraceMs).unref();
    }
    await this.writer.drain();
    this.delivery.stopDelivering();
    await this.delivery.confirmAll(1000);
    await this.positions.drain();
    const sockets = this.delivery.allSockets();
    for (const socket of sockets) socket.close(1001, 'server shutting down');
    // A socket that completes the close handshake has read everything: its last positions count
    // (see DeliveryService.detach). Record them before the database goes away.
    await Promise.race([Promise.all(sockets.map((s) => s.closed)), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
    await this.positions.drain();
  }
}
