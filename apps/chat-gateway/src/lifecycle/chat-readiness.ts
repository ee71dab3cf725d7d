import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@app/bus';
import { BusConfig } from '@app/config';
import { ReadinessRegistry } from '@app/ops';
import { DeliveryService } from '../delivery/delivery.service';
import { ShutdownState } from '../shared/shutdown-state';

/** The gateway's part of /health/ready: not while shutting down, nor without a live bus subscription. */
@Injectable()
export class ChatReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly shutdown: ShutdownState,
    private readonly delivery: DeliveryService,
    private readonly busConfig: BusConfig,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'chat-gateway',
      check: () => {
        if (this.shutdown.shuttingDown) throw new Error('shutting down');
        // Without a live subscription this replica would miss messages for its sockets.
        if (this.busConfig.enabled && !this.bus.isLive()) throw new Error('Redis subscription is not live');
        return { sockets: this.delivery.socketCount, bus: this.busConfig.enabled ? 'redis' : 'in-process' };
      },
    });
  }
}
