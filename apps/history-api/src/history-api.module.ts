import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { BusModule } from '@app/bus';
import { CommonModule } from '@app/common';
import { AppConfigModule } from '@app/config';
import { OpsModule } from '@app/ops';
import { DatabaseModule } from '@app/database';
import { AccountsHttpModule } from './accounts/accounts-http.module';
import { ConversationsModule } from './conversations/conversations.module';
import { DevicesModule } from './devices/devices.module';
import { HistoryModule } from './history/history.module';

/**
 * Paged chat history at /chat_message/get_Message_History.do, and the conversations of modern
 * clients (get_Conversation_List.do, mark_Read.do). The bus carries read receipts to the
 * gateways' sockets (Redis when REDIS_URL is set; in process in the all-in-one suite). And the
 * users' devices for push (push_token.do, remove_push_token.do). And the legacy account and friend
 * paths (/user/login.do, /friend/*.do, search, blocking).
 */
@Module({
  imports: [AppConfigModule, CommonModule, OpsModule, DatabaseModule, AuthModule, BusModule, HistoryModule, ConversationsModule, DevicesModule, AccountsHttpModule],
})
export class HistoryApiModule {}
