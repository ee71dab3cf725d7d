import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { OpsModule } from '@app/ops';
import { DatabaseModule } from '@app/database';
import { HistoryModule } from './history/history.module';

/** Paged chat history at /chat_message/get_Message_History.do. */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, DatabaseModule, AuthModule, HistoryModule],
})
export class HistoryApiModule {}
