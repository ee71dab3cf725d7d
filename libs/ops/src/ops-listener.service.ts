import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createServer, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreConfig, OpsConfig } from '@app/config';
import { markOpsRequest } from './ops-request';

/**
 * The operations listener on OPS_PORT: the same app (one registry, the same checks) behind a
 * second port that only the cluster reaches; it serves /metrics, /health/* and /api-docs.
 */
@Injectable()
export class OpsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Ops');
  private server?: Server;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ops: OpsConfig,
    private readonly core: CoreConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    if (this.ops.port === undefined || !adapter) return;
    const app = adapter.getInstance<RequestListener>();
    const server = createServer((req, res) => {
      markOpsRequest(req);
      app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: Error) => reject(new Error(`OPS_PORT ${this.ops.port}: cannot listen (${e.message})`)));
      server.listen(this.ops.port, this.core.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`operations listener on ${this.url}: /metrics, /health/ready (details), /api-docs`);
  }

  /** Where it listens, once started (the address it was given, shown as a URL). */
  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Scrapers keep connections alive; nothing they wait for is worth delaying the exit.
      server.closeAllConnections();
    });
  }
}
