// Allowed (see apps/chat-gateway/layers.spec.ts): delivery/ uses protocol/'s types and a shared leaf.
import type { ServerEvent } from '../../protocol/events';
import { ShutdownState } from '../../shared/shutdown-state';

export const typing: ServerEvent = { type: 'typing', friendId: 1 };
export const state = ShutdownState;
