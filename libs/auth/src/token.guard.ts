import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@app/common';
import { KnownUsers } from './known-users.service';
import { TokenService } from './token.service';
import { extractToken } from './token-extract';

type AuthedRequest = Request & { userId?: number };

/**
 * HTTP guard: a valid token of an existing user, or `用户未登录` (the filter answers it in the
 * legacy envelope; the apps treat it as logged out).
 */
@Injectable()
export class TokenGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: KnownUsers,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const claims = await this.tokens.verify(extractToken(req.headers));
    if (!(await this.users.accepts(claims))) throw DomainError.unauthenticated();
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
