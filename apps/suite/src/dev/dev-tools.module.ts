import { Module } from '@nestjs/common';
import { AccountsModule } from '@app/accounts';
import { DevUserRepository } from './dev-user.repository';
import { DevUsersController } from './dev-users.controller';

/** Endpoints for a development machine only; the suite imports this module only in dev mode. */
@Module({ imports: [AccountsModule], controllers: [DevUsersController], providers: [DevUserRepository] })
export class DevToolsModule {}
