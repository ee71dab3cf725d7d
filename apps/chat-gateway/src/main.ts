import { bootApp } from '@app/common';
import { AccountsConfig, BusConfig, ChatConfig, PushConfig } from '@app/config';
import { ChatGatewayModule, useChatAdapter } from './chat-gateway.module';
import { checkDatabaseAtBoot } from '@app/database';

void bootApp(ChatGatewayModule, {
  name: 'chat-gateway',
  prepare: checkDatabaseAtBoot,
  configs: [ChatConfig, BusConfig, PushConfig, AccountsConfig],
  configure: useChatAdapter,
});
