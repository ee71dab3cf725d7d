import { bootApp } from '@app/common';
import { AccountsConfig, BusConfig, ChatConfig, PushConfig } from '@app/config';
import { ChatGatewayModule, useChatAdapter } from './chat-gateway.module';

void bootApp(ChatGatewayModule, { name: 'chat-gateway', configs: [ChatConfig, BusConfig, PushConfig, AccountsConfig], configure: useChatAdapter });
