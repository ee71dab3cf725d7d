import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { extractSocketToken, TokenClaims, TokenService } from '@app/auth';
import { LegacyMessages } from '@app/common';
import { ChatConfig } from '@app/config';
import { CHAT_V2_PROTOCOL, ProtocolVersion } from '../protocol/events';
import { readId } from '../protocol/frame-codec';
import { UserDirectory } from '../shared/user-directory.service';

export type UpgradeDecision =
  | { ok: true; userId: number; serverPath: string; version: ProtocolVersion }
  | { ok: false; status: 401 | 403 | 404 | 503; message: string };

export const CHAT_PATH = '/chat';
const CHAT_URL = /^\/chat\/([^/]*)\/?$/;

/** Protocol v2 is asked for with the `chat.v2` subprotocol or, where a client cannot set it, `?v=2`. */
function requestedVersion(req: IncomingMessage, url: URL): ProtocolVersion {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  return offered.includes(CHAT_V2_PROTOCOL) || url.searchParams.get('v') === '2' ? 2 : 1;
}

/**
 * Who may open `/chat/{id}`: the holder of a valid token for that id (the old server trusted
 * `{id}` blindly). Decided before any socket exists.
 */
@Injectable()
export class UpgradeAuthorizer implements OnModuleInit {
  private readonly logger = new Logger('ChatAuth');
  private draining = false;

  constructor(
    private readonly tokens: TokenService,
    private readonly directory: UserDirectory,
    private readonly config: ChatConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.legacyUnauthenticated) {
      this.logger.warn(
        'CHAT_LEGACY_UNAUTHENTICATED=true: /chat/{id} accepts sockets WITHOUT a token and trusts {id}. ' +
          'Anyone can read anyone\'s messages. Switch it off as soon as the apps send tokens.',
      );
    }
  }

  /** Refuse new sockets from now on (shutdown). */
  stopAccepting(): void {
    this.draining = true;
  }

  async authorize(req: IncomingMessage): Promise<UpgradeDecision> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const match = CHAT_URL.exec(url.pathname);
    if (!match) return { ok: false, status: 404, message: 'Not found: chat sockets live at /chat/{userId}' };
    if (this.draining) return { ok: false, status: 503, message: '服务器正在重启，请重连 (server is shutting down; reconnect)' };
    const userId = readId(match[1]);
    if (userId === null || String(userId) !== match[1]) {
      return { ok: false, status: 404, message: '用户 id 无效：/chat/{id} 中的 id 必须是正整数 (the user id must be a positive integer)' };
    }
    let claims: TokenClaims | undefined;
    if (!this.config.legacyUnauthenticated) {
      try {
        claims = await this.tokens.verify(extractSocketToken(req.headers, url.searchParams));
      } catch {
        return { ok: false, status: 401, message: LegacyMessages.notLoggedIn };
      }
      if (claims.userId !== userId) {
        return { ok: false, status: 403, message: '令牌与用户不符：只能以令牌所属的用户连接 (the token belongs to another user)' };
      }
    }
    // Bounded (CHAT_READ_TIMEOUT_MS): a database that does not answer makes this a 503, not a hang.
    if (!(await this.directory.find(userId))) return { ok: false, status: 404, message: LegacyMessages.userNotFound };
    // A token issued before the user's last password change is refused (CONTRACT section 6); the
    // look-up above cached the user's epoch, so this asks nothing more of the database.
    if (claims && !(await this.directory.accepts(claims))) return { ok: false, status: 401, message: LegacyMessages.notLoggedIn };
    return { ok: true, userId, serverPath: CHAT_PATH, version: requestedVersion(req, url) };
  }
}
