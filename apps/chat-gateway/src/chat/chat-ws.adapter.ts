import { INestApplicationContext, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageMappingProperties } from '@nestjs/websockets/gateway-metadata-explorer';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { lastValueFrom, Observable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';
import { UpgradeAuthorizer, UpgradeDecision } from './upgrade-authorizer.service';

/** What the gateway's single handler receives: the frame as it came off the wire. */
export interface IncomingFrame {
  raw: string;
  isBinary: boolean;
}

export const FRAME_EVENT = 'frame';

export type AuthedRequest = IncomingMessage & { chatUserId?: number };

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/**
 * Nest's WsAdapter, bent to the legacy protocol:
 * - the upgrade at `/chat/{id}` (Nest matches paths exactly) is ours, and the token is checked
 *   there, so a refused client gets a plain HTTP answer and no socket ever exists;
 * - legacy frames carry no `{event, data}`: every frame goes to one handler, raw;
 * - frames of one socket are handled one after another, in order (Nest would interleave them);
 * - oversized frames close the socket with 1009 (ws does it, given maxPayload and an error listener).
 */
export class ChatWsAdapter extends WsAdapter {
  private readonly log = new Logger('ChatWsAdapter');

  constructor(
    app: INestApplicationContext,
    private readonly authorizer: UpgradeAuthorizer,
    private readonly maxPayload: number,
  ) {
    super(app, { messageParser: (data) => ({ event: FRAME_EVENT, data }) });
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): WebSocketServer {
    // No per-message deflate: small chat frames gain nothing and each socket would pay for zlib.
    return super.create(port, { ...options, maxPayload: this.maxPayload, perMessageDeflate: false, clientTracking: true });
  }

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (ws: WebSocket) =>
      // Without a listener ws would crash the process on a protocol error (e.g. an oversized frame).
      ws.on('error', (err: Error & { code?: string }) => this.log.debug(`socket error ${err.code ?? ''}: ${err.message}`)),
    );
    server.on('error', (err: Error) => this.log.error(err.message));
    return server;
  }

  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const handler = handlers.find((h) => h.message === FRAME_EVENT);
    if (!handler) return;
    let chain: Promise<unknown> = Promise.resolve();
    client.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const frame: IncomingFrame = {
        raw: isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'),
        isBinary,
      };
      chain = chain
        .then(async () => {
          const out = await lastValueFrom(transform(handler.callback(frame, FRAME_EVENT)), { defaultValue: undefined });
          const frames = Array.isArray(out) ? out : out === undefined || out === null ? [] : [out];
          for (const f of frames) if (client.readyState === client.OPEN) client.send(JSON.stringify(f));
        })
        .catch((e: unknown) => this.log.error(`frame handler failed: ${e instanceof Error ? e.stack : String(e)}`));
    });
  }

  protected override ensureHttpServerExists(port: number, httpServer?: Server): Server | undefined {
    if (this.httpServersRegistry.has(port)) return undefined;
    if (!httpServer) throw new Error('the chat gateway shares the HTTP server of its app');
    this.httpServersRegistry.set(port, httpServer);
    httpServer.on('upgrade', (req: AuthedRequest, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.authorizer
        .authorize(req)
        .then((decision) => this.completeUpgrade(port, decision, req, socket, head))
        .catch((e: unknown) => {
          this.log.error(`upgrade failed: ${e instanceof Error ? e.stack : String(e)}`);
          refuse(socket, 503, '服务暂不可用 (service unavailable)');
        });
    });
    return httpServer;
  }

  private completeUpgrade(port: number, decision: UpgradeDecision, req: AuthedRequest, socket: Duplex, head: Buffer): void {
    if (!decision.ok) return refuse(socket, decision.status, decision.message);
    const server = (this.wsServersRegistry.get(port) ?? []).find((s: { path: string }) => s.path === decision.serverPath) as
      | WebSocketServer
      | undefined;
    if (!server) return refuse(socket, 404, 'Not found');
    req.chatUserId = decision.userId;
    server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ status: 1, msg: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
