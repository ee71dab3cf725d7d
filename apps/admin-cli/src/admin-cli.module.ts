import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';

@Module({ imports: [AppConfigModule, CommonModule, DatabaseModule, AuthModule] })
export class AdminCliModule {}
