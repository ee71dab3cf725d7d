import { ConversationEntity } from './conversation.entity';
import { ConversationMemberEntity } from './conversation-member.entity';
import { MessageEntity } from './message.entity';
import { PushDeviceEntity } from './push-device.entity';
import { PushJobEntity } from './push-job.entity';
import { UserEntity } from './user.entity';
import { ConcernEntity } from './concern.entity';
import { UserBlockEntity } from './user-block.entity';
import { SmsCodeEntity } from './sms-code.entity';
import { UploadOwnerEntity } from './upload-owner.entity';
import { LegacySchema1716800000000 } from './migrations/1716800000000-legacy-schema';
import { ChatSuiteSchema1716800000001 } from './migrations/1716800000001-chat-suite-schema';
import { ConversationState1716800000002 } from './migrations/1716800000002-conversation-state';
import { SqliteCanonicalTables1716800000003 } from './migrations/1716800000003-sqlite-canonical-tables';
import { PushOutbox1716800000004 } from './migrations/1716800000004-push-outbox';
import { Accounts1716800000022 } from './migrations/1716800000022-accounts';

export { isMysqlOptions } from './migrations/dialect';
export { ConversationEntity, ConversationMemberEntity, MessageEntity, PushDeviceEntity, PushJobEntity, UserEntity };
export { ConcernEntity, UserBlockEntity, SmsCodeEntity, UploadOwnerEntity };

export const ENTITIES = [
  UserEntity,
  MessageEntity,
  ConversationEntity,
  ConversationMemberEntity,
  PushDeviceEntity,
  PushJobEntity,
  ConcernEntity,
  UserBlockEntity,
  SmsCodeEntity,
  UploadOwnerEntity,
];

/** In order; listed explicitly because the apps are bundled (no globbing at run time). */
export const MIGRATIONS = [
  LegacySchema1716800000000,
  ChatSuiteSchema1716800000001,
  ConversationState1716800000002,
  SqliteCanonicalTables1716800000003,
  PushOutbox1716800000004,
  Accounts1716800000022,
];
