import { INestApplicationContext, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { LogThrottle } from '@app/common';
import { CHAT_V2_PROTOCOL, ProtocolVersion } from '../protocol/events';
import { UpgradeAuthorizer, UpgradeDecision } from './upgrade-authorizer.service';

export type AuthedRequest = IncomingMessage & { chatUserId?: number; chatVersion?: ProtocolVersion };

/** The WebSocket subprotocol of protocol v2 (CONTRACT section 4). */

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
 * - legacy frames carry no `{event, data}`: each socket's frames are taken by its own bounded
 *   ingress (ConnectionManager), not through Nest's per-frame pipeline (an rxjs chain and an
 *   execution context per frame, for nothing a raw chat frame needs);
 * - a client offering the `chat.v2` subprotocol gets it selected, and nothing else ever is (a
 *   `chat.token.<jwt>` offered beside it carries the token, never echoed back);
 * - oversized frames close the socket with 1009 (ws does it, given maxPayload and an error listener);
 * - pings are answered by ws only while at most MAX_PENDING_AUTO_PONGS answers wait to be written:
 *   a client that pings without reading is cut off, not answered into memory without bound (the
 *   ingress also counts each ping against the user's frame rate).
 */
/**
 * Pongs ws may have queued for a socket before it terminates it (ws >= 8.23; an older copy
 * ignores the option and answers every ping, which is why the tree holds one ws, see package.json
 * `overrides`, and `create` refuses a server from any other copy).
 */
export const MAX_PENDING_AUTO_PONGS = 60;

export class ChatWsAdapter extends WsAdapter {
  private readonly log = new Logger('ChatWsAdapter');
  private readonly throttled = new LogThrottle(this.log);

  constructor(
    app: INestApplicationContext,
    private readonly authorizer: UpgradeAuthorizer,
    private readonly maxPayload: number,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): WebSocketServer {
    // No per-message deflate: small chat frames gain nothing and each socket would pay for zlib.
    const server = super.create(port, {
      ...options,
      maxPayload: this.maxPayload,
      perMessageDeflate: false,
      clientTracking: true,
      autoPong: true,
      maxPendingAutoPongs: MAX_PENDING_AUTO_PONGS,
      handleProtocols: (protocols: Set<string>) => (protocols.has(CHAT_V2_PROTOCOL) ? CHAT_V2_PROTOCOL : false),
    });
    assertOurWs(server);
    return server;
  }

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    // Without a listener ws would crash the process on a protocol error (e.g. an oversized
    // frame); one function for every socket, so an idle socket carries no closure for it.
    server.on('connection', (ws: WebSocket) => ws.on('error', logSocketError));
    server.on('error', (err: Error) => this.log.error(err.message));
    return server;
  }

  override bindMessageHandlers(): void {
    // Frames are read by each socket's FrameIngress (see the class comment).
  }

  override bindClientDisconnect(): void {
    // The ConnectionManager listens for closes; the gateway has no disconnect hook, and a
    // listener per socket for nothing costs an idle socket memory.
  }

  protected override ensureHttpServerExists(port: number, httpServer?: Server): Server | undefined {
    if (this.httpServersRegistry.has(port)) return undefined;
    if (!httpServer) throw new Error('the chat gateway shares the HTTP server of its app');
    this.httpServersRegistry.set(port, httpServer);
    httpServer.on('upgrade', (req: AuthedRequest, socket: Duplex, head: Buffer) => {
      // A function of its own: a closure made here would keep the request (and its headers, the
      // token among them) alive as long as the socket.
      socket.on('error', destroyOnError);
      this.authorizer
        .authorize(req)
        .then((decision) => this.completeUpgrade(port, decision, req, socket, head))
        .catch((e: unknown) => {
          // The database or Redis did not answer in time: a refusal the client retries, not a bug.
          this.throttled.warn('upgrade', `upgrade answered 503: ${e instanceof Error ? e.message : String(e)}`);
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
    req.chatVersion = decision.version;
    server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
  }
}

/**
 * The server must come from the ws this app depends on: Nest's adapter loads `ws` from where it
 * is installed, and a nested older copy would silently drop the bounds set here.
 */
export function assertOurWs(server: object): void {
  if (!(server instanceof WebSocketServer)) {
    throw new Error('the WebSocket server is not from the top-level ws package: run npm ci (package.json overrides keep one ws)');
  }
}

const socketLog = new Logger('ChatWsAdapter');
function logSocketError(err: Error & { code?: string }): void {
  socketLog.debug(`socket error ${err.code ?? ''}: ${err.message}`);
}

function destroyOnError(this: Duplex): void {
  this.destroy();
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
