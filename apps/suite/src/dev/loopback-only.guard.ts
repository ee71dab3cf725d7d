import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '@app/common';
import { WebConfig } from '@app/config';

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
// A proxy on this machine would make every client look local: a forwarded request is not.
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/** Whether a request comes from this machine itself: a loopback peer, and no proxy in between. */
export function fromThisMachine(req: Pick<Request, 'headers' | 'socket'>): boolean {
  return LOOPBACK.test(req.socket.remoteAddress ?? '') && !FORWARDED.some((h) => req.headers[h] !== undefined);
}

/**
 * The development endpoints hand anyone a token for any user: they answer this machine only,
 * unless CHAT_DEV_ENDPOINTS_OPEN=true (a development box reached over the network on purpose).
 */
@Injectable()
export class LoopbackOnlyGuard implements CanActivate {
  constructor(private readonly web: WebConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.web.devEndpointsOpen || fromThisMachine(context.switchToHttp().getRequest<Request>())) return true;
    throw new DomainError(
      ErrorCode.Forbidden,
      '开发接口只对本机开放 (the development endpoints answer this machine only; set CHAT_DEV_ENDPOINTS_OPEN=true to open them)',
    );
  }
}
