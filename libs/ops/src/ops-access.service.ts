import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CoreConfig, OpsConfig } from '@app/config';
import { OPS_PATHS, viaOpsListener } from './ops-request';

type Next = (err?: unknown) => void;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function answer(res: ServerResponse, status: number, msg: string, headers: Record<string, string> = {}): void {
  // The legacy envelope's shape, with the real status: monitoring tools read the status code.
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ status: 1, msg }));
}

/**
 * Who may see /metrics, the details of /health/ready and /api-docs: requests on the operations
 * listener (OPS_PORT), requests carrying `Authorization: Bearer <OPS_TOKEN>`, and anyone in
 * development mode when neither is configured. Everyone else gets 401 (a token is configured)
 * or 404 (there is nothing for them here).
 */
@Injectable()
export class OpsAccess implements OnApplicationBootstrap {
  private readonly logger = new Logger('Ops');
  private readonly tokenDigest?: Buffer;

  constructor(
    private readonly ops: OpsConfig,
    private readonly core: CoreConfig,
  ) {
    if (ops.token) this.tokenDigest = digest(ops.token);
  }

  /** Development mode without OPS_PORT or OPS_TOKEN: open to anyone (so said at boot). */
  get openToAnyone(): boolean {
    return this.core.devMode && this.ops.port === undefined && !this.ops.token;
  }

  /** Whether the public port serves them to someone (anyone, or the token's holder). */
  get reachableOnPublicPort(): boolean {
    return this.openToAnyone || !!this.tokenDigest;
  }

  isTrusted(req: IncomingMessage): boolean {
    return viaOpsListener(req) || this.openToAnyone || this.carriesToken(req);
  }

  /** Middleware for the protected mounts of the public port. */
  readonly guard = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (this.isTrusted(req)) return next();
    if (this.tokenDigest) {
      answer(res, 401, '需要运维令牌 (operations endpoint: send Authorization: Bearer <OPS_TOKEN>)', {
        'WWW-Authenticate': 'Bearer realm="operations"',
      });
    } else {
      answer(res, 404, 'Not found');
    }
  };

  /** Middleware in front of everything: the operations listener serves nothing else. */
  readonly opsListenerOnly = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (!viaOpsListener(req) || OPS_PATHS.test(new URL(req.url ?? '/', 'http://ops.invalid').pathname)) return next();
    answer(res, 404, 'Not found: the operations port serves /metrics, /health/* and /api-docs only');
  };

  onApplicationBootstrap(): void {
    if (this.openToAnyone) {
      this.logger.warn(
        'development mode: /metrics, the details of /health/ready and /api-docs are open to anyone WITHOUT a token. ' +
          'Set OPS_PORT or OPS_TOKEN to protect them.',
      );
    } else if (this.ops.port === undefined && !this.ops.token) {
      this.logger.warn(
        '/metrics, the details of /health/ready and /api-docs are off: set OPS_PORT (a listener of their own, e.g. 9464) ' +
          'or OPS_TOKEN (sent as Authorization: Bearer) to reach them. /health/live and /health/ready (up/down) stay public.',
      );
    } else if (this.ops.token) {
      this.logger.log('/metrics, the details of /health/ready and /api-docs take Authorization: Bearer <OPS_TOKEN> on the public port');
    }
  }

  private carriesToken(req: IncomingMessage): boolean {
    if (!this.tokenDigest) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Digests have one length, so the comparison takes the same time whatever was sent.
    return !!m && timingSafeEqual(digest(m[1]), this.tokenDigest);
  }
}
