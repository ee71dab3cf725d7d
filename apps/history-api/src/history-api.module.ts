import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';

/** Paged chat history at /chat_message/get_Message_History.do. */
@Module({
  imports: [AppConfigModule, CommonModule, DatabaseModule, AuthModule],
})
export class HistoryApiModule {}
