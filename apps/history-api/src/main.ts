import { bootApp } from '@app/common';
import { AccountsConfig, HistoryConfig } from '@app/config';
import { HistoryApiModule } from './history-api.module';
import { useHistoryOpenApi } from './history/history-openapi';
import { checkDatabaseAtBoot } from '@app/database';

void bootApp(HistoryApiModule, {
  name: 'history-api',
  prepare: checkDatabaseAtBoot,
  configs: [HistoryConfig, AccountsConfig],
  configure: useHistoryOpenApi,
  banner: (baseUrl, _core, opsUrl) => [
    `history: POST ${baseUrl}/chat_message/get_Message_History.do${opsUrl ? `   (OpenAPI: ${opsUrl}/api-docs/history)` : ''}`,
  ],
});
