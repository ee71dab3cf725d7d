import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { withTimeout } from '@app/common';
import { BusConfig } from '@app/config';
import { ReadinessRegistry } from '@app/ops';
import { DeliveryService } from '../delivery/delivery.service';
import { MessageWriter } from '../sending/message-writer.service';
import { ShutdownState } from '../shared/shutdown-state';

/** How long readiness waits for the message store to answer its probe after failed batches. */
const PROBE_MS = 1500;

/**
 * The gateway's part of /health/ready: not while shutting down, nor without a live bus
 * subscription, nor while its message writer makes no progress (a batch waiting longer than the
 * statement timeout, or batches failing in a row: then once the store's connections answer again).
 */
@Injectable()
export class ChatReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly shutdown: ShutdownState,
    private readonly delivery: DeliveryService,
    private readonly busConfig: BusConfig,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly writer: MessageWriter,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'chat-gateway',
      check: async () => {
        if (this.shutdown.shuttingDown) throw new Error('shutting down');
        // Without a live subscription this replica would miss messages for its sockets.
        if (this.busConfig.enabled && !this.bus.isLive()) throw new Error('Redis subscription is not live');
        let progress = this.writer.progress();
        if (!progress.ok) {
          await withTimeout(this.writer.probeAfterFailures(), PROBE_MS, 'message store probe').catch(() => undefined);
          progress = this.writer.progress();
        }
        if (!progress.ok) throw new Error(`message writer: ${progress.reason}`);
        return {
          sockets: this.delivery.socketCount,
          bus: this.busConfig.enabled ? 'redis' : 'in-process',
          writer: { outstanding: progress.outstanding, oldestMs: progress.oldestMs, failuresInARow: progress.failuresInARow },
        };
      },
    });
  }
}
