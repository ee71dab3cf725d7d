// Deliberately wrong (see apps/chat-gateway/layers.spec.ts): delivery/ reaching up into transport/.
import { encodeMessage } from '../../transport/frame-encoder';

export const upward = encodeMessage;
