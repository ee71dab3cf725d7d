import { bootApp } from '@app/common';
import { AccountsConfig, BusConfig, ChatConfig, HistoryConfig, loadConfig, PushConfig, UploadConfig, WebConfig } from '@app/config';
import { useChatAdapter } from '../../chat-gateway/src/chat-gateway.module';
import { useHistoryOpenApi } from '../../history-api/src/history/history-openapi';
import { useUploadOpenApi } from '../../upload-api/src/upload/upload-openapi';
import { SuiteModule } from './suite.module';
import { checkDatabaseAtBoot } from '@app/database';

void bootApp(SuiteModule.forEnvironment(), {
  name: 'chat-suite',
  prepare: checkDatabaseAtBoot,
  configs: [ChatConfig, HistoryConfig, UploadConfig, BusConfig, WebConfig, PushConfig, AccountsConfig],
  configure: (app) => {
    useChatAdapter(app);
    useHistoryOpenApi(app);
    useUploadOpenApi(app);
  },
  banner: (baseUrl, core, opsUrl) => [
    `chat:    ${baseUrl.replace(/^http/, 'ws')}/chat/{userId}?token=...`,
    `history: POST ${baseUrl}/chat_message/get_Message_History.do`,
    `upload:  POST ${baseUrl}/user/upload.do`,
    ...(process.env.PUSH_PROVIDER ? [`push:    on (${process.env.PUSH_PROVIDER}), devices at POST ${baseUrl}/user/push_token.do`] : []),
    ...(opsUrl ? [`OpenAPI: ${opsUrl}/api-docs/history and ${opsUrl}/api-docs/upload`] : []),
    ...(core.devMode
      ? [
          loadConfig(WebConfig).devEndpointsOpen
            ? 'CHAT_DEV_ENDPOINTS_OPEN=true: /dev/users hands a token for any user to anyone who reaches this port'
            : `/dev/users (the sign-in page's users and tokens) answers this machine only${core.hostSetting ? '' : '; listening on 127.0.0.1 (set HOST=0.0.0.0 to listen on every interface)'}; CHAT_DEV_ENDPOINTS_OPEN=true opens it to other machines`,
        ]
      : []),
    core.devMode
      ? 'users and tokens: the sign-in page, or  npm run cli -- user add --phone 13800000000   then   npm run cli -- token <userId>'
      : 'get a user and a token:  npm run cli -- user add --phone 13800000000   then   npm run cli -- token <userId>',
    `web client: open ${baseUrl}/ in a browser (two tabs, two users)`,
  ],
});
