// Deliberately wrong (see apps/chat-gateway/layers.spec.ts): delivery/ building a frame itself.
import { messageFrame } from '../../protocol/frame-codec';

export const encoder = messageFrame;
