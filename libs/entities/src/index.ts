import { ConversationEntity } from './conversation.entity';
import { ConversationMemberEntity } from './conversation-member.entity';
import { MessageEntity } from './message.entity';
import { PushDeviceEntity } from './push-device.entity';
import { PushJobEntity } from './push-job.entity';
import { UserEntity } from './user.entity';
import { LegacySchema1716800000000 } from './migrations/1716800000000-legacy-schema';
import { ChatSuiteSchema1716800000001 } from './migrations/1716800000001-chat-suite-schema';
import { ConversationState1716800000002 } from './migrations/1716800000002-conversation-state';
import { SqliteCanonicalTables1716800000003 } from './migrations/1716800000003-sqlite-canonical-tables';
import { PushOutbox1716800000004 } from './migrations/1716800000004-push-outbox';

export { isMysqlOptions } from './migrations/dialect';
export { ConversationEntity, ConversationMemberEntity, MessageEntity, PushDeviceEntity, PushJobEntity, UserEntity };

export const ENTITIES = [UserEntity, MessageEntity, ConversationEntity, ConversationMemberEntity, PushDeviceEntity, PushJobEntity];

/** In order; listed explicitly because the apps are bundled (no globbing at run time). */
export const MIGRATIONS = [
  LegacySchema1716800000000,
  ChatSuiteSchema1716800000001,
  ConversationState1716800000002,
  SqliteCanonicalTables1716800000003,
  PushOutbox1716800000004,
];
