// Deliberately wrong (see apps/chat-gateway/layers.spec.ts): a library reaching into an app.
import { CHAT_V2_PROTOCOL } from '../../../../apps/chat-gateway/src/protocol/events';

export const fromApp = CHAT_V2_PROTOCOL;
