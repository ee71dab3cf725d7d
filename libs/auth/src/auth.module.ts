import { Global, Module } from '@nestjs/common';
import { AccountChangesModule } from '@app/bus';
import { KnownUsers } from './known-users.service';
import { TokenGuard } from './token.guard';
import { TokenService } from './token.service';

/** Tokens for HTTP and upgrades. Needs DatabaseModule (global) for the user lookup. */
@Global()
@Module({ imports: [AccountChangesModule], providers: [TokenService, KnownUsers, TokenGuard], exports: [TokenService, KnownUsers, TokenGuard] })
export class AuthModule {}
