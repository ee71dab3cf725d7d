import { INestApplication } from '@nestjs/common';
import { serveOpenApi } from '@app/common';
import { AccountsHttpModule } from '../accounts/accounts-http.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { DevicesModule } from '../devices/devices.module';
import { HistoryModule } from './history.module';

export const HISTORY_OPENAPI_PATH = 'api-docs/history';

/**
 * Serves the history API's OpenAPI description: UI at /api-docs/history, JSON at
 * /api-docs/history-json. Only the history controller is included, so the standalone app and
 * the all-in-one process describe it the same way.
 */
export function useHistoryOpenApi(app: INestApplication): void {
  serveOpenApi(app, {
    path: HISTORY_OPENAPI_PATH,
    title: 'Chat suite: history API',
    description:
      'Chat history between the token\'s user and a friend, at the legacy path /chat_message/get_Message_History.do ' +
        '(POST form or GET query). Two forms:\n\n' +
        '* **Legacy page form** (what the Android/iOS apps send): `pageNum` (default 1), `pageSize` (default 10, at most ' +
        'HISTORY_MAX_PAGE_SIZE, 100 unless configured), `friendId`. Answers `{"status":0,"data":PageInfo}` exactly as the ' +
        'old server\'s PageHelper 5 did, messages oldest first; `{"status":1,"msg":"不存在记录"}` for an empty page.\n' +
        '* **Cursor form** (extension): `beforeId` (scroll back, newest first) or `afterId` (catch up, oldest first; 0 = ' +
        'from the start), with `limit` (default 20, at most HISTORY_CURSOR_MAX_LIMIT, 100 unless configured). `limit` alone ' +
        'gives the newest messages. An empty slice is a success with an empty list.\n\n' +
        'Every answer is HTTP 200 in the legacy envelope. A missing, malformed, forged or expired token, one issued in ' +
        'the future (beyond JWT_CLOCK_SKEW_SECONDS) or one of a user that does not exist gets ' +
        '`{"status":1,"msg":"用户未登录"}`; a bad parameter, or a body over 100 KB or 1000 fields, gets `{"status":1,"msg":"<reason>"}`.\n\n' +
        '**Conversations** (protocol v2, CONTRACT section 4): `get_Conversation_List.do` lists the user\'s conversations, most recent ' +
        'first, with unread counts and read positions, seek-paged by an opaque `cursor`; `mark_Read.do` moves the user\'s read position.\n\n' +
        '**Push devices** (CONTRACT section 5): `/user/push_token.do` registers a device of the user, `/user/remove_push_token.do` removes one.\n\n' +
        '**Accounts and friends** (CONTRACT section 6): sign-in, registration, codes, profile and password under `/user/*.do`, ' +
        'the follow (`concern`) paths under `/friend/*.do`, and the extensions search.do, block.do, unblock.do, block_List.do.',
    include: [HistoryModule, ConversationsModule, DevicesModule, AccountsHttpModule],
  });
}
