import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { UserAccounts } from '@app/accounts';
import { LegacyOk, ok } from '@app/common';
import type { UserSummary } from '@app/database';
import { DevUserRepository } from './dev-user.repository';
import { LoopbackOnlyGuard } from './loopback-only.guard';
import { parseListLimit, parseNewUser, parseUserIdParam } from './dev-users.dto';

/**
 * Development only (mounted when CHAT_DEV_MODE=true): what the web client's sign-in page needs
 * to pick or create a user and get a token without the admin CLI. No token is asked: in
 * development anyone on the machine may be anyone (and only on the machine: LoopbackOnlyGuard).
 */
@ApiExcludeController()
@UseGuards(LoopbackOnlyGuard)
@Controller('dev/users')
export class DevUsersController {
  constructor(
    private readonly accounts: UserAccounts,
    private readonly users: DevUserRepository,
  ) {}

  @Get()
  async list(@Query() query: unknown): Promise<LegacyOk<{ list: UserSummary[] }>> {
    return ok({ list: await this.users.listNewest(parseListLimit(query)) });
  }

  @Post()
  @HttpCode(200)
  async create(@Body() body: unknown): Promise<LegacyOk<UserSummary>> {
    const { phone, name } = parseNewUser(body);
    return ok(await this.accounts.add(phone, name));
  }

  @Post(':id/token')
  @HttpCode(200)
  async token(@Param('id') id: string): Promise<LegacyOk<{ userId: number; token: string }>> {
    const userId = parseUserIdParam(id);
    return ok({ userId, token: await this.accounts.issueToken(userId) });
  }
}
