import { Global, Module } from '@nestjs/common';
import { TokenGuard } from './token.guard';
import { TokenService } from './token.service';

@Global()
@Module({ providers: [TokenService, TokenGuard], exports: [TokenService, TokenGuard] })
export class AuthModule {}
