// Deliberately wrong (see apps/chat-gateway/layers.spec.ts): a leaf importing the orchestrator on top.
import { ChatReadiness } from '../../lifecycle/chat-readiness';

export const upward = ChatReadiness;
