import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { WebSocketServer } from 'ws';
import { ChatConfig } from '@app/config';
import type { ChatWs } from './connection-manager.service';

/**
 * Liveness: every CHAT_PING_INTERVAL_MS each socket is pinged, and one that did not answer the
 * previous ping is dropped. A socket its ingress paused is not read, so it cannot answer: it is
 * left alone until it is read again.
 */
@Injectable()
export class PingLoop implements OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(private readonly config: ChatConfig) {}

  start(server: WebSocketServer): void {
    this.timer = setInterval(() => this.tick(server), this.config.pingIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  private tick(server: WebSocketServer): void {
    for (const ws of server.clients as Set<ChatWs>) {
      const socket = ws.chat;
      if (!socket || ws.ingress?.isPaused) continue;
      if (!socket.alive) {
        socket.terminate();
        continue;
      }
      socket.alive = false;
      socket.ping();
    }
  }
}
