import { Module } from '@nestjs/common';
import { AccountsModule } from '@app/accounts';
import { AuthModule } from '@app/auth';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';

@Module({ imports: [AppConfigModule, CommonModule, DatabaseModule, AuthModule, AccountsModule] })
export class AdminCliModule {}
