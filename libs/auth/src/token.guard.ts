import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@app/common';
import { TokenService } from './token.service';
import { extractToken } from './token-extract';

type AuthedRequest = Request & { userId?: number };

/** HTTP guard: a valid token or `用户未登录` (the filter answers it in the legacy envelope). */
@Injectable()
export class TokenGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const claims = await this.tokens.verify(extractToken(req.headers));
    req.userId = claims.userId;
    return true;
  }
}

/** The authenticated user's id, set by TokenGuard. */
export const CurrentUserId = createParamDecorator((_: unknown, context: ExecutionContext): number => {
  const userId = context.switchToHttp().getRequest<AuthedRequest>().userId;
  if (!userId) throw DomainError.unauthenticated();
  return userId;
});
